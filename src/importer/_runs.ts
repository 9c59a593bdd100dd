/**
 * An external sort for a job's staged rows: rows gathered in a bounded
 * buffer, sorted, written as a run file; the runs merged back in key order.
 *
 * Staged keys arrive in the SIS's order, which is random for the store's
 * B-tree. Inserting them into LMDB one by one costs 5–7 µs a row on these
 * machines (every put dirties another page); sorting in memory and streaming
 * through files costs a fraction of that, and lets the plan and the apply
 * meet the store's records in key order.
 *
 * A run file is a sequence of `u32 keyBytes, u32 valueBytes, key, value`.
 *
 * @module
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";
import { FileSink, SLOT_BYTES, settleWrites } from "./_file-sink.ts";
import { MAX_RUN_ENTRIES, sortEntries } from "./_sort.ts";

// Buffer.write was a tenth of staging's profile; Node's unchecked utf8Write is the same copy
// without write()'s argument parsing. Deno's node:buffer may lack it.
type Utf8Writer = Buffer & { utf8Write?: (text: string, offset: number) => number };
export const utf8Write: (buf: Buffer, text: string, at: number) => number =
  typeof (Buffer.prototype as Utf8Writer).utf8Write === "function"
    ? (buf, text, at) => (buf as Utf8Writer).utf8Write!(text, at)
    : (buf, text, at) => buf.write(text, at, "utf8");

/** Bytes buffered before a run is written: bounds memory whatever the file size. */
const RUN_BYTES = 16 * 1024 * 1024;
const READ_CHUNK = 64 * 1024;

/**
 * Gathers entries and spills them, sorted, to numbered run files in `dir`.
 *
 * Entries are written, keys and values, straight into one reused off-heap
 * buffer already in the run file's layout: holding millions of row strings
 * on the heap until the sort would have them copied into the old generation
 * and collected there (and a key sliced from a parsed line keeps the whole
 * 64 KiB chunk it came from alive), which cost more than the import itself.
 * The sort works on that buffer (`_sort.ts`).
 *
 * @example
 * const runs = new RunWriter("/var/lib/rosterbox/staging/JOB");
 * runs.add("users\x00u1", "…"); runs.finish();
 */
export class RunWriter {
  #buf = Buffer.allocUnsafe(RUN_BYTES);
  #at = 0;
  #n = 0;
  #offsets = new Uint32Array(1 << 16);
  /** Each entry's length in bytes, header included. */
  #lengths = new Uint32Array(1 << 16);
  #groups = new Uint16Array(1 << 16);
  /** This run's key groups (the part before the first NUL: the entity) by ordinal. */
  #groupNames: string[] = [];
  #groupBytes: number[] = [];
  #groupIndex = new Map<string, number>();
  #lastGroup: string | undefined;
  #lastOrdinal = 0;
  #count: number;

  /** `presorted`: entries are added in key order already (the plan walk's output), so no sort. */
  constructor(readonly dir: string, readonly presorted = false) {
    mkdirSync(dir, { recursive: true });
    this.#count = readdirSync(dir).filter((n) => n.startsWith("run-")).length;
  }

  add(key: string, value: string): void {
    // 3 bytes per UTF-16 unit is UTF-8's worst case, so the writes below always fit.
    const room = 8 + (key.length + value.length) * 3;
    if (this.#at + room > this.#buf.length || this.#n === MAX_RUN_ENTRIES) {
      this.flush();
      if (room > this.#buf.length) this.#buf = Buffer.allocUnsafe(room);
    }
    // Before writing: a run full of groups is flushed here.
    const group = this.presorted ? 0 : this.#groupOf(key);
    const buf = this.#buf;
    const at = this.#at;
    const k = utf8Write(buf, key, at + 8);
    const v = utf8Write(buf, value, at + 8 + k);
    buf.writeUInt32LE(k, at);
    buf.writeUInt32LE(v, at + 4);
    this.#at = at + 8 + k + v;
    if (!this.presorted) {
      const n = this.#n;
      if (n === this.#offsets.length) this.#grow();
      this.#offsets[n] = at;
      this.#lengths[n] = 8 + k + v;
      this.#groups[n] = group;
    }
    this.#n++;
  }

  /** Hands what is buffered to the writer thread as one more run. */
  flush(): void {
    const n = this.#n;
    if (n === 0) return;
    const sink = new FileSink(join(this.dir, runFileName(this.#count++)));
    try {
      if (this.presorted) sink.write(this.#buf, 0, this.#at);
      else this.#writeSorted(sink, sortEntries(this.#buf, this.#offsets, this.#groups, n, this.#groupNames, this.#groupBytes));
    } finally {
      sink.end();
    }
    this.#n = 0;
    this.#at = 0;
    this.#groupNames = [];
    this.#groupBytes = [];
    this.#groupIndex.clear();
    this.#lastGroup = undefined;
  }

  /** Flushes the last run and waits until every run is written; returns how many runs there are. */
  finish(): number {
    this.flush();
    settleWrites();
    return this.#count;
  }

  #writeSorted(sink: FileSink, order: Uint32Array): void {
    const buf = this.#buf;
    const offsets = this.#offsets;
    const lengths = this.#lengths;
    for (let j = 0; j < order.length; j++) {
      const start = offsets[order[j]!]!;
      const length = lengths[order[j]!]!;
      if (length > SLOT_BYTES) {
        sink.write(buf, start, start + length);
        continue;
      }
      sink.room(length);
      buf.copy(sink.buf, sink.at, start, start + length);
      sink.at += length;
    }
  }

  /** The ordinal of the key's group in this run; the entity rarely changes from one row to the next. */
  #groupOf(key: string): number {
    const last = this.#lastGroup;
    if (last !== undefined && key.charCodeAt(last.length) === 0 && key.startsWith(last)) return this.#lastOrdinal;
    const cut = key.indexOf("\x00");
    const name = cut < 0 ? key : key.slice(0, cut);
    let ordinal = this.#groupIndex.get(name);
    if (ordinal === undefined) {
      // Ordinals must fit their array; keys without NUL are each a group, so bound them.
      if (this.#groupNames.length === 0xffff) {
        this.flush();
        return this.#groupOf(key);
      }
      ordinal = this.#groupNames.length;
      this.#groupNames.push(name);
      this.#groupBytes.push(Buffer.byteLength(name));
      this.#groupIndex.set(name, ordinal);
    }
    this.#lastGroup = name;
    this.#lastOrdinal = ordinal;
    return ordinal;
  }

  #grow(): void {
    const offsets = new Uint32Array(this.#offsets.length * 2);
    offsets.set(this.#offsets);
    this.#offsets = offsets;
    const lengths = new Uint32Array(this.#lengths.length * 2);
    lengths.set(this.#lengths);
    this.#lengths = lengths;
    const groups = new Uint16Array(this.#groups.length * 2);
    groups.set(this.#groups);
    this.#groups = groups;
  }
}

/** The name of run file number `n` in a runs folder. */
export function runFileName(n: number): string {
  return `run-${String(n).padStart(5, "0")}`;
}

/**
 * One run entry as bytes: the key is `buf[keyStart, valueStart)`, the value
 * `buf[valueStart, end)`. Valid only until the reader moves on. `buf[i]` is
 * byte `base + i` of its run file.
 */
export interface RawEntry {
  buf: Buffer;
  keyStart: number;
  valueStart: number;
  end: number;
  base: number;
}

/** A merged run entry: its key as text, its bytes as they are, the number of its run file. Valid only until the merge moves on. */
export interface MergedEntry {
  key: string;
  raw: RawEntry;
  run: number;
}

/** Reads one run file entry by entry through a small buffer. */
class RunReader implements MergedEntry {
  #fd: number;
  #buf = Buffer.allocUnsafe(READ_CHUNK);
  #start = 0;
  #end = 0;
  #eof = false;
  /** The current entry's key (decoded only when asked to). */
  key = "";
  readonly raw: RawEntry = { buf: this.#buf, keyStart: 0, valueStart: 0, end: 0, base: 0 };
  done = false;

  constructor(path: string, readonly order: number, readonly decodeKeys = true, readonly run = order) {
    this.#fd = openSync(path, "r");
    this.advance();
  }

  advance(): void {
    if (!this.#ensure(8)) return this.#close();
    const k = this.#buf.readUInt32LE(this.#start);
    const v = this.#buf.readUInt32LE(this.#start + 4);
    if (!this.#ensure(8 + k + v)) throw new Error("staging run file is cut short; the job must be staged again");
    const at = this.#start + 8;
    const raw = this.raw;
    raw.buf = this.#buf;
    raw.keyStart = at;
    raw.valueStart = at + k;
    raw.end = at + k + v;
    if (this.decodeKeys) this.key = this.#buf.toString("utf8", at, at + k);
    this.#start = at + k + v;
  }

  /** Makes `n` bytes available from #start; false at a clean end of file. */
  #ensure(n: number): boolean {
    if (this.#end - this.#start >= n) return true;
    if (this.#buf.length < n) {
      const bigger = Buffer.allocUnsafe(Math.max(n, READ_CHUNK));
      this.#buf.copy(bigger, 0, this.#start, this.#end);
      this.#buf = bigger;
    } else this.#buf.copy(this.#buf, 0, this.#start, this.#end);
    this.#end -= this.#start;
    this.raw.base += this.#start;
    this.#start = 0;
    while (!this.#eof && this.#end < n) {
      const got = readSync(this.#fd, this.#buf, this.#end, this.#buf.length - this.#end, null);
      if (got === 0) this.#eof = true;
      this.#end += got;
    }
    return this.#end >= n;
  }

  #close(): void {
    this.done = true;
    closeSync(this.#fd);
  }
}

/**
 * The entries of runs written in key order already (a presorted
 * {@link RunWriter}: the plan file), file after file, as bytes: the apply
 * copies bodies from here into the store without making strings of them.
 *
 * @example for (const e of readSortedRuns(dir)) store.records.putSync(key, e.buf.subarray(e.valueStart, e.end));
 */
export function* readSortedRuns(dir: string): Generator<RawEntry> {
  for (const name of readdirSync(dir).filter((n) => n.startsWith("run-")).sort()) {
    const reader = new RunReader(join(dir, name), 0, false);
    for (; !reader.done; reader.advance()) yield reader.raw;
  }
}

/**
 * Every entry of the runs in `dir`, in key order; of equal keys, the one
 * staged first comes first. Values are not decoded: each entry is valid only
 * until the next is asked for (the plan walk compares bodies as bytes).
 *
 * @example for (const e of mergeRunsRaw(dir)) e.raw.buf.subarray(e.raw.valueStart, e.raw.end);
 */
export function* mergeRunsRaw(dir: string): Generator<MergedEntry> {
  const names = readdirSync(dir).filter((n) => n.startsWith("run-")).sort();
  const heap = names.map((n, i) => new RunReader(join(dir, n), i, true, Number(n.slice(4)))).filter((r) => !r.done);
  const less = (a: RunReader, b: RunReader) => a.key < b.key || (a.key === b.key && a.order < b.order);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  while (heap.length > 0) {
    const top = heap[0]!;
    yield top;
    top.advance();
    if (top.done) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) down(0);
  }
}

