/**
 * Bytes of an uploaded file → text, strictly.
 *
 * Roster files arrive as UTF-8 (with or without BOM) or, from Excel's
 * "Unicode Text", as UTF-16 with a BOM. Anything else must not be guessed at:
 * a Windows-1252 file decoded leniently would silently store mangled names, so
 * invalid UTF-8 is a {@link FileError} naming the byte offset (0-based, from the
 * start of the file, BOM included) and the line, and saying how to fix it. A
 * NUL byte means the upload is not text at all (a zip, an .xlsx, a gzip…).
 *
 * The happy path is native. A chunk that is pure ASCII (most roster data) is
 * checked with `isAscii` and turned into a Latin-1 string, both SIMD in Node
 * and ~4× faster than `TextDecoder`; the one-byte string it makes also speeds
 * up every `indexOf` the tokenizer runs on it. Other chunks go through a
 * streaming `TextDecoder` with `fatal: true`. Each chunk then gets one NUL
 * search and an `indexOf` walk over its line ends (the running line count is
 * what lets an error name its line). Locating the exact bad byte is done in JS
 * only once decoding has failed. Text comes out in pieces of at most 64 KiB
 * (see {@link PIECE}).
 *
 * @module
 */
import { Buffer, isAscii } from "node:buffer";
import { FileError } from "../types.ts";

const CR = 13;
const EMPTY = new Uint8Array(0);
/**
 * Text is handed on in pieces of at most this many bytes, whatever the read
 * size. V8 puts strings of 128 KiB and more in large-object space (and Node
 * makes ≥ ~1 MB Latin-1 strings external); a stream of those keeps the old
 * generation growing and incremental marking running, which made the whole
 * pipeline 2–4× slower in measurement. Small strings live and die young.
 */
const PIECE = 64 * 1024;

type Encoding = "utf-8" | "utf-16le" | "utf-16be";

/**
 * Decodes a byte stream to text chunks: strips a UTF-8 BOM, decodes UTF-16LE/BE
 * when a UTF-16 BOM is present, UTF-8 otherwise. Throws {@link FileError} on
 * invalid or truncated text and on binary data.
 *
 * @example
 * ```ts
 * import { createReadStream } from "node:fs";
 * for await (const text of decodeText(createReadStream("users.csv"), "users.csv")) process(text);
 * ```
 */
export async function* decodeText(source: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<string> {
  for await (const piece of decodePieces(source, file)) yield piece.text;
}

/** A piece of decoded text, with its bytes when it is pure ASCII (then byte i is character i). */
export interface TextPiece {
  text: string;
  ascii?: Uint8Array;
}

/**
 * {@link decodeText}, each piece with its bytes when it is ASCII (the tokenizer digests rows from them).
 *
 * @example for await (const { text, ascii } of decodePieces(createReadStream("users.csv"), "users.csv")) …
 */
export async function* decodePieces(source: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<TextPiece> {
  const decoder = new StrictDecoder(file);
  for await (const chunk of source) {
    for (let i = 0; i < chunk.length; i += PIECE) {
      const text = decoder.push(i === 0 && chunk.length <= PIECE ? chunk : chunk.subarray(i, i + PIECE));
      if (text.length > 0) yield decoder.ascii && decoder.ascii.length === text.length ? { text, ascii: decoder.ascii } : { text };
    }
  }
  const text = decoder.end();
  if (text.length > 0) yield { text };
}

class StrictDecoder {
  private dec: TextDecoder | null = null;
  private enc: Encoding = "utf-8";
  /** Bytes held back until the BOM (up to 3 bytes) can be recognised. */
  private head: Uint8Array = EMPTY;
  /** The file's first bytes, to name a binary format in the error. */
  private magic: Uint8Array = EMPTY;
  private bom = 0;
  /** Absolute offset of the next byte to be fed to the decoder. */
  private offset = 0;
  /** Last ≤3 bytes fed: the decoder may still hold some of them when it fails. */
  private tail: Uint8Array = EMPTY;
  /** Line breaks in the text returned so far. */
  private lines = 0;
  private afterCR = false;
  /** Bytes of an unfinished UTF-8 character the decoder holds. */
  private held = 0;
  /** UTF-16 code units returned so far (UTF-16 maps them 2 bytes each). */
  private units = 0;
  /** The bytes of the last text returned, when it was ASCII. */
  ascii: Uint8Array | undefined;

  constructor(private readonly file: string) {}

  push(chunk: Uint8Array): string {
    if (this.magic.length < 8) this.magic = concat(this.magic, chunk).slice(0, 8);
    if (this.dec === null) {
      const head = concat(this.head, chunk);
      if (head.length < 3) {
        this.head = head;
        return "";
      }
      this.head = EMPTY;
      return this.feed(this.open(head), false);
    }
    return this.feed(chunk, false);
  }

  end(): string {
    if (this.dec === null) return this.feed(this.open(this.head), true);
    return this.feed(EMPTY, true);
  }

  private open(head: Uint8Array): Uint8Array {
    const [a, b, c] = head;
    if (a === 0xef && b === 0xbb && c === 0xbf) {
      this.bom = 3;
    } else if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) {
      this.enc = a === 0xff ? "utf-16le" : "utf-16be";
      this.bom = 2;
    }
    // ignoreBOM: the BOM is already cut off; a second one is content.
    this.dec = new TextDecoder(this.enc, { fatal: true, ignoreBOM: true });
    this.offset = this.bom;
    return head.subarray(this.bom);
  }

  private feed(chunk: Uint8Array, eof: boolean): string {
    let text: string;
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // ASCII cannot complete a held multi-byte sequence, so the fast path needs an idle decoder.
    this.ascii = undefined;
    if (this.enc === "utf-8" && this.held === 0 && isAscii(buf)) {
      text = buf.toString("latin1");
      this.ascii = chunk;
    } else {
      try {
        text = eof ? this.dec!.decode(chunk) : this.dec!.decode(chunk, { stream: true });
      } catch {
        throw this.invalid(chunk, eof);
      }
      if (this.enc === "utf-8") this.held = heldUtf8(chunk.length >= 3 ? chunk : concat(this.tail, chunk));
    }
    const nul = text.indexOf("\0");
    if (nul >= 0) {
      const at = this.enc === "utf-8" ? this.offset + chunk.indexOf(0) : this.bom + 2 * (this.units + nul);
      throw this.binary(at, this.lineAt(text.slice(0, nul)));
    }
    this.lines += countBreaks(text, this.afterCR);
    if (text.length > 0) this.afterCR = text.charCodeAt(text.length - 1) === CR;
    this.units += text.length;
    this.offset += chunk.length;
    this.tail = chunk.length >= 3 ? chunk.slice(-3) : concat(this.tail, chunk).slice(-3);
    return text;
  }

  /** 1-based line of the character right after `prefix` (text not yet counted). */
  private lineAt(prefix: string): number {
    return this.lines + countBreaks(prefix, this.afterCR) + 1;
  }

  /** Builds the error for a chunk the decoder rejected: finds the first bad byte. */
  private invalid(chunk: Uint8Array, eof: boolean): FileError {
    if (this.enc !== "utf-8") return this.invalidUtf16(chunk, eof);
    const held = this.tail.subarray(this.tail.length - heldUtf8(this.tail));
    const all = concat(held, chunk);
    const start = this.offset - held.length;
    const bad = firstBadUtf8(all, eof);
    const nul = all.indexOf(0);
    const i = nul >= 0 && nul < bad ? nul : bad;
    const line = this.lineAt(new TextDecoder().decode(all.subarray(0, i)));
    if (nul >= 0 || binaryKind(this.magic) !== "") return this.binary(start + i, line);
    // Valid if more bytes could follow: then only the end of the file cut a character short.
    if (eof && firstBadUtf8(all, false) === all.length) {
      return new FileError(this.file, line, `incomplete UTF-8 character at byte ${start + i}, line ${line}, at the end of the file: the file may be truncated; upload it again, saved as UTF-8`);
    }
    return new FileError(this.file, line, `invalid UTF-8 at byte ${start + i}, line ${line}: the file is in another encoding (perhaps Windows-1252); save it as UTF-8 (in Excel: "CSV UTF-8") and upload it again`);
  }

  private invalidUtf16(chunk: Uint8Array, eof: boolean): FileError {
    const heldLen = this.offset - this.bom - 2 * this.units;
    const all = concat(this.tail.subarray(this.tail.length - heldLen), chunk);
    const start = this.offset - heldLen;
    const le = this.enc === "utf-16le";
    const u = firstBadUtf16(all, le, eof);
    const at = start + 2 * u;
    const line = this.lineAt(new TextDecoder(this.enc).decode(all.subarray(0, 2 * u)));
    if (2 * u + 1 < all.length && (le ? all[2 * u] | (all[2 * u + 1] << 8) : (all[2 * u] << 8) | all[2 * u + 1]) === 0) {
      return this.binary(at, line);
    }
    if (eof && 2 * u + 4 > all.length) {
      return new FileError(this.file, line, `incomplete UTF-16 character at byte ${at}, line ${line}, at the end of the file: the file may be truncated; upload it again`);
    }
    return new FileError(this.file, line, `invalid UTF-16 at byte ${at}, line ${line} (unpaired surrogate): save the file as UTF-8 and upload it again`);
  }

  private binary(at: number, line: number): FileError {
    const kind = binaryKind(this.magic);
    const fix = kind.startsWith("UTF-16") ? "save it as UTF-8" : "upload the CSV file itself";
    return new FileError(this.file, line, `binary data at byte ${at}, line ${line}: this is not a text file${kind ? ` (it looks like ${kind})` : ""}; ${fix}`);
  }
}

/** Line breaks in `s` (CRLF, LF, lone CR); `afterCR`: the text before `s` ended with CR. */
function countBreaks(s: string, afterCR: boolean): number {
  let k = 0;
  let i = s.indexOf("\r");
  if (i < 0 && !afterCR) {
    for (i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) k++;
    return k;
  }
  // Count every CR, and every LF that does not complete a CRLF.
  for (; i >= 0; i = s.indexOf("\r", i + 1)) k++;
  for (i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) {
    if (i === 0 ? !afterCR : s.charCodeAt(i - 1) !== CR) k++;
  }
  return k;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

/** Length of a UTF-8 sequence from its lead byte (1 for bytes that cannot lead one). */
function utf8Length(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/** How many trailing bytes of `tail` form an unfinished UTF-8 sequence (held by a streaming decoder). */
function heldUtf8(tail: Uint8Array): number {
  for (let k = 1; k <= tail.length; k++) {
    const c = tail[tail.length - k];
    if (c < 0x80) return 0;
    if (c >= 0xc0) return utf8Length(c) > k ? k : 0;
  }
  return 0;
}

/**
 * Index of the first byte that starts an ill-formed UTF-8 sequence (the
 * WHATWG decoder's first U+FFFD), or `b.length` if none. A sequence cut off by
 * the end of `b` is ill-formed only at end of file.
 */
function firstBadUtf8(b: Uint8Array, eof: boolean): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0xc2 || c > 0xf4) return i;
    if (c === 0xe0) lo = 0xa0;
    else if (c === 0xed) hi = 0x9f;
    else if (c === 0xf0) lo = 0x90;
    else if (c === 0xf4) hi = 0x8f;
    const len = utf8Length(c);
    for (let k = 1; k < len; k++) {
      if (i + k >= n) return eof ? i : n;
      const d = b[i + k];
      if (d < lo || d > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += len;
  }
  return n;
}

/** Index (in code units) of the first NUL or unpaired surrogate in UTF-16 bytes `b`. */
function firstBadUtf16(b: Uint8Array, le: boolean, eof: boolean): number {
  const units = b.length >> 1;
  const at = (u: number) => (le ? b[2 * u] | (b[2 * u + 1] << 8) : (b[2 * u] << 8) | b[2 * u + 1]);
  for (let u = 0; u < units; u++) {
    const x = at(u);
    if (x === 0 || (x >= 0xdc00 && x <= 0xdfff)) return u;
    if (x >= 0xd800 && x <= 0xdbff) {
      if (u + 1 >= units) return eof ? u : units;
      const y = at(u + 1);
      if (y < 0xdc00 || y > 0xdfff) return u;
      u++;
    }
  }
  return units;
}

/** Names common non-text uploads from their first bytes ("" when unknown). */
function binaryKind(m: Uint8Array): string {
  const [a, b, c, d] = m;
  if (a === 0x1f && b === 0x8b) return "a gzip file";
  if (a === 0x50 && b === 0x4b && (c === 3 || c === 5) && (d === 4 || d === 6)) return "a zip file, such as an .xlsx workbook";
  if (a === 0xd0 && b === 0xcf && c === 0x11 && d === 0xe0) return "an Excel 97-2003 .xls workbook";
  if (a === 0x25 && b === 0x50 && c === 0x44 && d === 0x46) return "a PDF document";
  if (m.length >= 4 && a !== 0 && b === 0 && d === 0) return "UTF-16 text without a byte-order mark";
  if (m.length >= 4 && a === 0 && b !== 0 && c === 0) return "UTF-16 text without a byte-order mark";
  return "";
}
