/**
 * The resumable CSV state machine behind `readCsv` (private to this folder).
 *
 * Two paths share one set of "next occurrence" caches (next LF, CR, quote,
 * delimiter), so each `indexOf` runs about once per occurrence:
 * - the fast path takes a whole record that has no quote and ends inside the
 *   chunk, and cuts it with `indexOf` + `slice` (most roster rows) — unless
 *   the caller's pass-over hook, offered it first (`_offer.ts`), claims it;
 * - the slow path is a state machine that can stop at any character of a chunk
 *   and resume at the next one; it handles quotes, records that cross chunks,
 *   long fields and errors. Field text spanning chunks is kept as a string of
 *   at most `max` characters; past that the record is dropped while its
 *   structure (quotes, line ends) is still followed, so memory stays bounded.
 *
 * Lines are counted backwards-looking (every CR, and every LF not preceded by
 * a CR), which needs only the previous chunk's last character to stay right
 * when CRLF is split across chunks.
 *
 * @module
 */
import { bytesDigest, textDigest, valuesDigest } from "../digest.ts";
import { FileError } from "../types.ts";
import { find, quotedLine } from "./_fast-cut.ts";
import { RecordOffer } from "./_offer.ts";
import type { CsvRecord, CsvRowError, PassOverCut } from "./tokenizer.ts";

/** A record, a malformed record, or what the pass-over hook put in a record's place. */
type Item = CsvRecord | CsvRowError | object;

const LF = 10;
const CR = 13;

/** Between records. */
const S_REC = 0;
/** At the first character of a field (after a delimiter, or at a record start in the slow path). */
const S_FIELD = 1;
/** Inside an unquoted field. */
const S_UNQ = 2;
/** Inside a quoted field. */
const S_QUOTED = 3;
/** Just after a quote inside a quoted field: a doubled quote or the field's end. */
const S_QSEEN = 4;
/** After a malformed record: everything up to the next line end is dropped, quotes included. */
const S_SKIP = 5;

/** Keeps error messages readable when the offending field is huge. */
function clip(s: string): string {
  return s.length > 60 ? `…${s.slice(-60)}` : s;
}

/**
 * One file's tokenizer state. Synchronous so that `readCsv` pays one await per
 * chunk; `push` every chunk in order, then `finish` once.
 *
 * @example
 * ```ts
 * const m = new CsvMachine("users.csv", ",", '"', 1 << 20);
 * const items = [...m.push('id,name\n1,"Ann'), ...m.push('"\n'), ...m.finish()];
 * ```
 */
export class CsvMachine {
  private readonly delim: string;
  private readonly D: number;
  private readonly quote: string;
  /** Quote char code, or -1 when quoting is off (never equals a char code). */
  private readonly Q: number;

  /** Line of the next unread character. */
  private line = 1;
  /** Absolute offset of the current chunk's first character. */
  private base = 0;
  /** Absolute offset where the current line starts; updated at chunk ends only (for error columns). */
  private lineStartAbs = 0;
  /** The previous chunk ended with CR: an LF opening this chunk belongs to it. */
  private prevCR = false;

  private st = S_REC;
  private fields: string[] = [];
  /** Text of the current field read so far (slow path only). */
  private cur = "";
  private recLine = 1;
  private quoteLine = 0;
  /** The current record was already reported: follow its structure, keep nothing. */
  private discard = false;

  constructor(
    private readonly file: string,
    delimiter: string,
    quote: string,
    private readonly max: number,
    /** Whether records carry a digest (`../digest.ts`). */
    private readonly digests = false,
    /** Given the first record (the header), returns what to ask about each later record cut on a fast path (needs `digests`). */
    private readonly onHeader?: (fields: string[]) => PassOverCut<object> | undefined,
  ) {
    if (delimiter.length !== 1 || delimiter === "\n" || delimiter === "\r") {
      throw new TypeError(`CSV delimiter must be one character other than CR or LF, got ${JSON.stringify(delimiter)}`);
    }
    if (quote.length > 1 || quote === "\n" || quote === "\r" || quote === delimiter) {
      throw new TypeError(`CSV quote must be one character (or "" for none) unlike the delimiter, got ${JSON.stringify(quote)}`);
    }
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new TypeError(`maxFieldLength must be a positive integer, got ${max}`);
    }
    this.delim = delimiter;
    this.D = delimiter.charCodeAt(0);
    this.quote = quote;
    this.Q = quote === "" ? -1 : quote.charCodeAt(0);
  }

  /** The digest of the record `t[p, eol)`, from the chunk's bytes when it has them. */
  private digest(t: string, p: number, eol: number): number {
    return this.view !== undefined ? bytesDigest(this.view, p, eol) : textDigest(t, p, eol);
  }

  /** The current chunk's bytes, when it is ASCII and records are digested. */
  private view: DataView | undefined;

  /** Built from what `onHeader` gave: asks the hook about each record before its fields are made. */
  private offer: RecordOffer | undefined;
  /** No record came out yet: the next one is the header. */
  private first = true;

  /** Hands the header to `onHeader` (once; records before it are none). */
  private header(fields: string[]): void {
    this.first = false;
    const hook = this.onHeader?.(fields);
    this.offer = hook && new RecordOffer(this.delim, hook);
  }

  /** Tokenizes one chunk (with its bytes if it is ASCII); returns the records and errors that ended in it. */
  push(t: string, ascii?: Uint8Array): Item[] {
    const out: Item[] = [];
    const n = t.length;
    if (n === 0) return out;
    this.view = this.digests && ascii !== undefined ? new DataView(ascii.buffer, ascii.byteOffset, ascii.byteLength) : undefined;
    const { D, Q, delim, quote, max } = this;
    const startCR = this.prevCR;
    let line = this.line;
    let st = this.st;
    let p = 0;
    if (startCR && st === S_REC && t.charCodeAt(0) === LF) p = 1;
    // Where the field being read starts in this chunk (for error snippets); -1 when it began earlier.
    let fieldRaw = -1;
    let nLF = -1;
    let nCR = find(t, "\r", 0, n);
    const hasCR = nCR < n;
    let nQ = Q < 0 ? n : -1;
    let nD = -1;

    while (p < n) {
      if (st === S_REC) {
        if (nLF < p) nLF = find(t, "\n", p, n);
        if (nCR < p) nCR = find(t, "\r", p, n);
        const eol = nLF < nCR ? nLF : nCR;
        if (nQ < p) nQ = find(t, quote, p, n);
        if (eol < n && nQ > eol && eol - p <= max) {
          if (eol > p) {
            const digest = this.digests ? this.digest(t, p, eol) : -1;
            const passed = this.offer?.plain(t, p, eol, line, digest);
            if (passed !== undefined) out.push(passed);
            else {
              const fields: string[] = [];
              let s = p;
              if (nD < s) nD = find(t, delim, s, n);
              while (nD < eol) {
                fields.push(t.slice(s, nD));
                s = nD + 1;
                nD = find(t, delim, s, n);
              }
              fields.push(t.slice(s, eol));
              out.push(this.digests ? { line, fields, digest } : { line, fields });
              if (this.first) this.header(fields);
            }
          }
          line++;
          p = eol + 1;
          if (eol === nCR && p < n && t.charCodeAt(p) === LF) p++;
          continue;
        }
        if (eol < n) {
          const fields = quotedLine(t, p, eol, D, Q, quote, max);
          if (fields !== null) {
            const digest = this.digests ? this.digest(t, p, eol) : -1;
            const passed = this.offer?.fields(fields, line, digest);
            out.push(passed ?? (this.digests ? { line, fields, digest } : { line, fields }));
            if (this.first) this.header(fields);
            line++;
            p = eol + 1;
            if (eol === nCR && p < n && t.charCodeAt(p) === LF) p++;
            continue;
          }
        }
        // Doubled quotes, a line end inside quotes, an error, a long field, or the chunk ends first.
        st = S_FIELD;
        this.fields = [];
        this.cur = "";
        this.recLine = line;
        this.discard = false;
      }

      if (st === S_FIELD) {
        fieldRaw = p;
        if (t.charCodeAt(p) === Q) {
          st = S_QUOTED;
          this.quoteLine = line;
          p++;
          continue;
        }
        st = S_UNQ;
      }

      if (st === S_UNQ) {
        if (nD < p) nD = find(t, delim, p, n);
        if (nLF < p) nLF = find(t, "\n", p, n);
        if (nCR < p) nCR = find(t, "\r", p, n);
        if (nQ < p) nQ = find(t, quote, p, n);
        let e = nD < nLF ? nD : nLF;
        if (nCR < e) e = nCR;
        if (nQ < e) e = nQ;
        this.take(t, p, e, out);
        if (e === n) {
          p = n;
          break;
        }
        if (e === nQ) {
          if (!this.discard) {
            const where = `line ${line}, column ${this.column(t, e, hasCR)}`;
            const text = this.snippet(t, fieldRaw, e);
            out.push({ line: this.recLine, error: `${where}: quote inside an unquoted field (${text}); put the whole field in quotes and double each quote inside it` });
            // A header that cannot be read is no header: the record after it must not be taken for one.
            this.first = false;
          }
          st = S_SKIP;
          p = e + 1;
          continue;
        }
        this.fields.push(this.cur);
        this.cur = "";
        p = e + 1;
        if (e === nD) {
          st = S_FIELD;
          continue;
        }
        this.endRecord(out);
        line++;
        st = S_REC;
        if (e === nCR && p < n && t.charCodeAt(p) === LF) p++;
        continue;
      }

      if (st === S_QUOTED) {
        if (nQ < p) nQ = find(t, quote, p, n);
        const e = nQ;
        // Line ends inside quotes still move the line count, so later records get the right line.
        if (nLF < p) nLF = find(t, "\n", p, n);
        while (nLF < e) {
          if (nLF > 0 ? t.charCodeAt(nLF - 1) !== CR : !startCR) line++;
          nLF = find(t, "\n", nLF + 1, n);
        }
        if (nCR < p) nCR = find(t, "\r", p, n);
        while (nCR < e) {
          line++;
          nCR = find(t, "\r", nCR + 1, n);
        }
        this.take(t, p, e, out);
        if (e === n) {
          p = n;
          break;
        }
        st = S_QSEEN;
        p = e + 1;
        continue;
      }

      if (st === S_QSEEN) {
        const c = t.charCodeAt(p);
        if (c === Q) {
          this.take(t, p, p + 1, out);
          st = S_QUOTED;
          p++;
          continue;
        }
        if (c === D || c === LF || c === CR) {
          this.fields.push(this.cur);
          this.cur = "";
          p++;
          if (c === D) {
            st = S_FIELD;
            continue;
          }
          this.endRecord(out);
          line++;
          st = S_REC;
          if (c === CR && p < n && t.charCodeAt(p) === LF) p++;
          continue;
        }
        if (!this.discard) {
          const where = `line ${line}, column ${this.column(t, p, hasCR)}`;
          const text = this.snippet(t, fieldRaw, p);
          out.push({ line: this.recLine, error: `${where}: text after the closing quote of a field (${text}); a quoted field must end at a delimiter or a line end` });
          this.first = false;
        }
        st = S_SKIP;
        continue;
      }

      // S_SKIP
      if (nLF < p) nLF = find(t, "\n", p, n);
      if (nCR < p) nCR = find(t, "\r", p, n);
      const e = nLF < nCR ? nLF : nCR;
      if (e === n) {
        p = n;
        break;
      }
      line++;
      p = e + 1;
      if (e === nCR && p < n && t.charCodeAt(p) === LF) p++;
      st = S_REC;
    }

    this.line = line;
    this.st = st;
    this.prevCR = t.charCodeAt(n - 1) === CR;
    const lastLF = t.lastIndexOf("\n");
    const lastCR = hasCR ? t.lastIndexOf("\r") : -1;
    const last = lastLF > lastCR ? lastLF : lastCR;
    if (last >= 0) this.lineStartAbs = this.base + last + 1;
    this.base += n;
    return out;
  }

  /** Ends the input: returns the last record, or throws if a quoted field is still open. */
  finish(): Item[] {
    const out: Item[] = [];
    const st = this.st;
    if (st === S_QUOTED) {
      const at = this.quoteLine;
      throw new FileError(this.file, at, `unterminated quoted field opened at line ${at}; the file may be truncated`);
    }
    if (st === S_FIELD || st === S_UNQ || st === S_QSEEN) {
      this.fields.push(this.cur);
      this.endRecord(out);
    }
    this.st = S_REC;
    this.cur = "";
    this.fields = [];
    return out;
  }

  /** Appends t[a, b) to the current field, or drops the record once the field gets too long. */
  private take(t: string, a: number, b: number, out: Item[]): void {
    if (this.discard) return;
    if (this.cur.length + (b - a) > this.max) {
      out.push({
        line: this.recLine,
        error: `field ${this.fields.length + 1} is longer than ${this.max} characters; the record is skipped`,
      });
      this.first = false;
      this.discard = true;
      this.cur = "";
      return;
    }
    if (b > a) this.cur += t.slice(a, b);
  }

  private endRecord(out: Item[]): void {
    if (!this.discard) {
      const { recLine: line, fields } = this;
      out.push(this.digests ? { line, fields, digest: valuesDigest(fields) } : { line, fields });
      if (this.first) this.header(fields);
    }
    this.fields = [];
    this.discard = false;
  }

  /** 1-based column of chunk position `e` on its line. */
  private column(t: string, e: number, hasCR: boolean): number {
    const lf = e > 0 ? t.lastIndexOf("\n", e - 1) : -1;
    const cr = e > 0 && hasCR ? t.lastIndexOf("\r", e - 1) : -1;
    const start = lf > cr ? lf : cr;
    return start >= 0 ? e - start : this.base + e - this.lineStartAbs + 1;
  }

  /** The raw text of the field around the error at `e`, up to the next delimiter or line end. */
  private snippet(t: string, from: number, e: number): string {
    const n = t.length;
    let to = e + 1;
    while (to < n && to - e <= 20) {
      const c = t.charCodeAt(to);
      if (c === this.D || c === LF || c === CR) break;
      to++;
    }
    return clip(from < 0 ? `…${t.slice(0, to)}` : t.slice(from, to));
  }
}
