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
import { closeSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface RunEntry {
  key: string;
  value: string;
}

/** Bytes buffered before a run is written: bounds memory whatever the file size. */
const RUN_BYTES = 16 * 1024 * 1024;
const READ_CHUNK = 64 * 1024;

/**
 * Gathers entries and spills them, sorted, to numbered run files in `dir`.
 *
 * Values are written straight into one reused off-heap buffer: holding
 * millions of row strings on the heap until the sort would have them copied
 * into the old generation and collected there, which cost more than the
 * import itself.
 *
 * @example
 * const runs = new RunWriter("/var/lib/rosterbox/staging/JOB");
 * runs.add("users\x00u1", "…"); runs.finish();
 */
export class RunWriter {
  #keys: string[] = [];
  #starts: number[] = [];
  #ends: number[] = [];
  #values = Buffer.allocUnsafe(RUN_BYTES);
  #at = 0;
  #count: number;

  /** `presorted`: entries are added in key order already (the plan walk's output), so no sort. */
  constructor(readonly dir: string, readonly presorted = false) {
    mkdirSync(dir, { recursive: true });
    this.#count = readdirSync(dir).filter((n) => n.startsWith("run-")).length;
  }

  add(key: string, value: string): void {
    // 3 bytes per UTF-16 unit is UTF-8's worst case, so the write below always fits.
    const room = value.length * 3;
    if (this.#at + room > this.#values.length) {
      this.flush();
      if (room > this.#values.length) this.#values = Buffer.allocUnsafe(room);
    }
    this.#keys.push(key);
    this.#starts.push(this.#at);
    this.#at += this.#values.write(value, this.#at);
    this.#ends.push(this.#at);
  }

  /** Writes what is buffered as one more run. */
  flush(): void {
    const keys = this.#keys;
    if (keys.length === 0) return;
    const order = Array.from(keys.keys());
    // Array.prototype.sort is stable: of two equal keys the earlier stays first.
    if (!this.presorted) order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
    const fd = openSync(join(this.dir, `run-${String(this.#count++).padStart(5, "0")}`), "w");
    try {
      let out = Buffer.allocUnsafe(1024 * 1024);
      let at = 0;
      for (const i of order) {
        const key = keys[i]!;
        const start = this.#starts[i]!;
        const length = this.#ends[i]! - start;
        const need = 8 + key.length * 3 + length;
        if (at + need > out.length) {
          writeAll(fd, out, at);
          at = 0;
          if (need > out.length) out = Buffer.allocUnsafe(need);
        }
        const k = out.write(key, at + 8);
        this.#values.copy(out, at + 8 + k, start, start + length);
        out.writeUInt32LE(k, at);
        out.writeUInt32LE(length, at + 4);
        at += 8 + k + length;
      }
      writeAll(fd, out, at);
    } finally {
      closeSync(fd);
    }
    this.#keys = [];
    this.#starts = [];
    this.#ends = [];
    this.#at = 0;
  }

  /** Flushes the last run; returns how many runs there are. */
  finish(): number {
    this.flush();
    return this.#count;
  }
}

function writeAll(fd: number, buf: Buffer, length: number): void {
  let done = 0;
  while (done < length) done += writeSync(fd, buf, done, length - done);
}

/** Reads one run file entry by entry through a small buffer. */
class RunReader {
  #fd: number;
  #buf = Buffer.allocUnsafe(READ_CHUNK);
  #start = 0;
  #end = 0;
  #eof = false;
  current: RunEntry | undefined;

  constructor(path: string, readonly order: number) {
    this.#fd = openSync(path, "r");
    this.advance();
  }

  advance(): void {
    if (!this.#ensure(8)) return this.#close();
    const k = this.#buf.readUInt32LE(this.#start);
    const v = this.#buf.readUInt32LE(this.#start + 4);
    if (!this.#ensure(8 + k + v)) throw new Error("staging run file is cut short; the job must be staged again");
    const at = this.#start + 8;
    this.current = { key: this.#buf.toString("utf8", at, at + k), value: this.#buf.toString("utf8", at + k, at + k + v) };
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
    this.#start = 0;
    while (!this.#eof && this.#end < n) {
      const got = readSync(this.#fd, this.#buf, this.#end, this.#buf.length - this.#end, null);
      if (got === 0) this.#eof = true;
      this.#end += got;
    }
    return this.#end >= n;
  }

  #close(): void {
    this.current = undefined;
    closeSync(this.#fd);
  }
}

/**
 * Every entry of the runs in `dir`, in key order; of equal keys, the one
 * staged first comes first.
 *
 * @example for (const e of mergeRuns(dir)) console.log(e.key);
 */
export function* mergeRuns(dir: string): Generator<RunEntry> {
  const names = readdirSync(dir).filter((n) => n.startsWith("run-")).sort();
  const heap = names.map((n, i) => new RunReader(join(dir, n), i)).filter((r) => r.current);
  const less = (a: RunReader, b: RunReader) =>
    a.current!.key < b.current!.key || (a.current!.key === b.current!.key && a.order < b.order);
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
    yield top.current!;
    top.advance();
    if (!top.current) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) down(0);
  }
}
