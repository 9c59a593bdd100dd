/**
 * Fingerprints: what a feed's last applied bulk file held, row by row (its
 * line, the row's digest, its sourcedId), so that the next import of that
 * file can pass over the rows that come again unchanged — most of a nightly
 * export — without checking, staging, sorting or comparing them with the
 * store again.
 *
 * A feed's fingerprints stand for the store only while nothing has changed
 * the tenant's records since they were made (the tenant's change sequence is
 * where it was), and only for a bulk file after a bulk file: then the
 * entity's active records are exactly the rows fingerprinted, each stored as
 * its row says. The import matches rows in file order against a small window
 * of the last file's entries (`PrintMatcher`); an entry that no row matched
 * becomes a probe, which the plan turns into an update, or a delete if the
 * file no longer holds that record. Rows the plan rejected late (duplicates,
 * references that never arrived) are listed as void, so they never match.
 *
 * A fingerprint file is a sequence of `u32 line, f64 digest, u16 idBytes, id`;
 * its void file a sequence of `u32 line`.
 *
 * @module
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { FileSink } from "./_file-sink.ts";
import { utf8Write } from "./_runs.ts";

const CHUNK = 1 << 20;
const HEAD = 14;
/** Rows looked ahead for a match: a row inserted or removed costs no more than this. */
const WINDOW = 256;
/** Bytes kept of a window entry's sourcedId (255 characters of 3 bytes); a longer one is kept decoded. */
const SLOT = 765;

/**
 * The fingerprints cannot be relied on: a row came again beside its
 * unchanged twin (a duplicate only the full check can place), or a
 * fingerprint file is damaged. The import is then done again, every row
 * checked.
 */
export class PrintsDisagree extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrintsDisagree";
  }
}

/** A bulk file's fingerprints: `<entity>.fp`, and `<entity>.void` for rows the plan rejected. */
export function printsPath(dir: string, entity: string): string {
  return join(dir, `${entity}.fp`);
}

function voidPath(dir: string, entity: string): string {
  return join(dir, `${entity}.void`);
}

/**
 * Writes one file's fingerprints, in file order.
 *
 * @example const w = new PrintWriter(printsPath(dir, "users")); w.add(2, digest, "u1"); w.finish();
 */
export class PrintWriter {
  #sink: FileSink;

  constructor(path: string) {
    this.#sink = new FileSink(path);
  }

  add(line: number, digest: number, id: string): void {
    const sink = this.#sink;
    // A sourcedId is at most 255 characters, 3 bytes each at most.
    sink.room(HEAD + SLOT);
    const at = sink.at;
    // DataView stores compile to plain moves; Buffer's write methods check their arguments first.
    const view = sink.view;
    view.setUint32(at, line, true);
    view.setFloat64(at + 4, digest, true);
    const n = utf8Write(sink.buf, id, at + HEAD);
    view.setUint16(at + 12, n, true);
    sink.at = at + HEAD + n;
  }

  /** Ends the file; it is written once {@link settleWrites} returns. */
  finish(): void {
    this.#sink.end();
  }
}

/**
 * Lists the lines of `entity`'s file that the plan rejected, so that the
 * next import does not take them for rows that were applied.
 *
 * @example writeVoidLines(dir, "users", [7, 12]);
 */
export function writeVoidLines(dir: string, entity: string, lines: readonly number[]): void {
  const buf = Buffer.allocUnsafe(lines.length * 4);
  lines.forEach((line, i) => buf.writeUInt32LE(line, i * 4));
  const fd = openSync(voidPath(dir, entity), "w");
  try {
    writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
}

/**
 * Matches a file's rows, in order, against the last import's fingerprints of
 * the same file. `onProbe` hears each sourcedId of the last import that no
 * row matched: a record that changed, moved far, or is gone.
 *
 * @example
 * const m = new PrintMatcher(dir, "users", (id) => runs.add(key(id), PROBE));
 * if (m.match(row.fields.sourcedId, row.digest)) … // the row is as the store holds it
 * m.finish();
 */
export class PrintMatcher {
  #fd: number;
  #buf = Buffer.allocUnsafe(CHUNK);
  #view = new DataView(this.#buf.buffer, this.#buf.byteOffset, CHUNK);
  #start = 0;
  #end = 0;
  #eof = false;
  #void: Set<number>;
  // The window: entries [#head, #count) of the file (void ones left out), in a ring of WINDOW
  // slots. Each keeps its sourcedId as bytes, compared with a row's in place: nearly every row
  // matches, and decoding every entry's sourcedId was a third of matching's cost.
  #digests = new Float64Array(WINDOW);
  #idBytes = new Uint16Array(WINDOW);
  #idArena = Buffer.allocUnsafe(WINDOW * SLOT);
  /** A sourcedId too long for its slot, decoded. */
  #longIds: (string | undefined)[] = new Array<string | undefined>(WINDOW);
  #head = 0;
  #count = 0;

  /** `onVoid` hears the sourcedIds of rows the last plan rejected, as they are read. */
  constructor(dir: string, entity: string, readonly onProbe: (id: string) => void, readonly onVoid?: (id: string) => void) {
    this.#fd = openSync(printsPath(dir, entity), "r");
    const voids = voidPath(dir, entity);
    const raw = existsSync(voids) ? readFileSync(voids) : Buffer.alloc(0);
    this.#void = new Set<number>();
    for (let i = 0; i + 4 <= raw.length; i += 4) this.#void.add(raw.readUInt32LE(i));
  }

  /** Whether this row is one the last import applied, as it was: same sourcedId, same digest. */
  match(id: string, digest: number): boolean {
    this.#fill();
    const digests = this.#digests;
    for (let k = this.#head; k < this.#count; k++) {
      const slot = k % WINDOW;
      if (digests[slot] !== digest || !this.#sameId(slot, id)) continue;
      for (let j = this.#head; j < k; j++) this.onProbe(this.#idOf(j % WINDOW));
      this.#head = k + 1;
      return true;
    }
    return false;
  }

  /** Probes every entry no row matched, and closes the file. */
  finish(): void {
    try {
      for (;;) {
        this.#fill();
        if (this.#head >= this.#count) break;
        for (let k = this.#head; k < this.#count; k++) this.onProbe(this.#idOf(k % WINDOW));
        this.#head = this.#count;
      }
    } finally {
      closeSync(this.#fd);
    }
  }

  /** Whether the entry in `slot` has sourcedId `id`, compared as bytes where both are ASCII. */
  #sameId(slot: number, id: string): boolean {
    const n = this.#idBytes[slot]!;
    if (n > SLOT) return this.#longIds[slot] === id;
    // UTF-8 takes at least a byte per character: fewer bytes, another id.
    if (n < id.length) return false;
    if (n > id.length) return this.#idOf(slot) === id;
    const arena = this.#idArena;
    const at = slot * SLOT;
    for (let i = 0; i < n; i++) {
      const c = id.charCodeAt(i);
      if (c >= 128) return this.#idOf(slot) === id;
      if (arena[at + i] !== c) return false;
    }
    return true;
  }

  #idOf(slot: number): string {
    const n = this.#idBytes[slot]!;
    return n > SLOT ? this.#longIds[slot]! : this.#idArena.toString("utf8", slot * SLOT, slot * SLOT + n);
  }

  /** Keeps {@link WINDOW} entries ahead of the cursor. */
  #fill(): void {
    while (this.#count - this.#head < WINDOW) {
      if (!this.#ensure(HEAD)) {
        // A file that ends inside an entry's head lost entries: their records would never be probed.
        if (this.#end > this.#start) throw new PrintsDisagree("a fingerprint file is cut short");
        return;
      }
      const view = this.#view;
      const n = view.getUint16(this.#start + 12, true);
      if (!this.#ensure(HEAD + n)) throw new PrintsDisagree("a fingerprint file is cut short");
      const at = this.#start;
      this.#start += HEAD + n;
      // A row the plan rejected matches nothing and is no probe (its record is not the row's).
      if (this.#void.size > 0 && this.#void.has(view.getUint32(at, true))) {
        this.onVoid?.(this.#buf.toString("utf8", at + HEAD, at + HEAD + n));
        continue;
      }
      const slot = this.#count % WINDOW;
      this.#digests[slot] = view.getFloat64(at + 4, true);
      this.#idBytes[slot] = n;
      if (n > SLOT) this.#longIds[slot] = this.#buf.toString("utf8", at + HEAD, at + HEAD + n);
      else {
        // A JavaScript loop: Buffer.copy's call costs more than a sourcedId's few bytes.
        const arena = this.#idArena, buf = this.#buf, to = slot * SLOT, from = at + HEAD;
        for (let i = 0; i < n; i++) arena[to + i] = buf[from + i]!;
      }
      this.#count++;
    }
  }

  /** Whether `n` bytes from the cursor are in the buffer (reading more if need be). */
  #ensure(n: number): boolean {
    if (this.#end - this.#start >= n) return true;
    if (this.#eof) return false;
    this.#buf.copy(this.#buf, 0, this.#start, this.#end);
    this.#end -= this.#start;
    this.#start = 0;
    while (!this.#eof && this.#end < n) {
      const got = readSync(this.#fd, this.#buf, this.#end, CHUNK - this.#end, null);
      if (got === 0) this.#eof = true;
      this.#end += got;
    }
    return this.#end - this.#start >= n;
  }
}
