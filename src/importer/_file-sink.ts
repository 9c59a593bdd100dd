/**
 * Files written by a thread of their own: the import fills a buffer, hands
 * it over and goes on reading while the bytes go to the disk.
 *
 * On these machines `write()` is often slow: 1.1 GB written from Node in
 * 1 MiB pieces went at 154 MB/s from its first MiB, with nothing left dirty
 * in the page cache after, though at other times the same test ran at
 * 0.5–2 GB/s. The time is the kernel's, filling new page-cache pages (on this
 * virtual machine up to 5 s a GiB), not the disk's. A 1M-student re-import
 * spent 14 s of 48 blocked in `write()` for its results, fingerprints and
 * runs, while the second core stood idle.
 *
 * Buffers are slots of one `SharedArrayBuffer`. A writer thread (one per
 * thread that writes, started with the first file) opens, writes and closes
 * the files in the order it is told, so each file is always whole up to its
 * last written buffer. When every slot is still being written the import
 * waits (`Atomics.wait`): memory stays bounded whatever the disk does. The
 * writer thread owns its file descriptors because Deno's are not shared
 * between threads.
 *
 * @module
 */
import { closeSync, openSync } from "node:fs";
import { Worker } from "node:worker_threads";

/** Bytes in one slot: a write's size. */
export const SLOT_BYTES = 1 << 20;
/** Slots in the pool: the bytes that may be on their way to the disk at once, plus one being filled per open file. */
const SLOTS = 16;

// The control words, shared with the writer thread.
const FREE = 0; // slots not being written or filled
const DONE = 1; // operations finished
const FAILED = 2; // 1 while the writer writes a failure's message into the error area, 2 once it is there
const STATE = 3; // one word per slot: 0 free, 1 taken
const ERROR_BYTES = 1024;
/** How long a wait for the writer thread may last before it is taken for stopped. */
const STALL_MS = 120_000;

const WRITER = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const { control, slots, error, slotBytes } = workerData;
const words = new Int32Array(control);
const fds = new Map();
const failed = new Set();
// Transforms by name, compiled from their source once: each file that has one keeps its state beside its descriptor.
const transforms = new Map();
const transformed = new Map();
function fail(file, err) {
  failed.add(file);
  if (Atomics.compareExchange(words, ${FAILED}, 0, 1) === 0) {
    const text = Buffer.from(String(err && err.message || err)).subarray(0, ${ERROR_BYTES - 8});
    new Uint8Array(error).set(text, 8);
    new Int32Array(error, 0, 2).set([file, text.length]);
    // Published only now: a reader that saw the failure before its message would report another file, or none.
    Atomics.store(words, ${FAILED}, 2);
  }
}
parentPort.on("message", (op) => {
  try {
    if (failed.has(op.file)) {
      if (op.op === "close") failed.delete(op.file);
    } else if (op.op === "open") {
      fds.set(op.file, fs.openSync(op.path, "r+"));
      if (op.transform) {
        const { name, source } = op.transform;
        if (!transforms.has(name)) transforms.set(name, new Function("return (" + source + ");")());
        transformed.set(op.file, { fn: transforms.get(name), state: {} });
      }
    } else if (op.op === "write") {
      const fd = fds.get(op.file);
      const bytes = Buffer.from(slots, op.slot * slotBytes, op.length);
      const t = transformed.get(op.file);
      const put = (b, n) => { for (let done = 0; done < n; ) done += fs.writeSync(fd, b, done, n - done); };
      if (t) t.fn(t.state, bytes, put);
      else put(bytes, op.length);
    } else if (op.op === "close") {
      const fd = fds.get(op.file);
      fds.delete(op.file);
      transformed.delete(op.file);
      fs.closeSync(fd);
    }
  } catch (err) {
    const fd = fds.get(op.file);
    fds.delete(op.file);
    transformed.delete(op.file);
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
    fail(op.file, err);
  }
  if (op.slot !== undefined) {
    Atomics.store(words, ${STATE} + op.slot, 0);
    Atomics.add(words, ${FREE}, 1);
  }
  Atomics.add(words, ${DONE}, 1);
  Atomics.notify(words, ${FREE});
  Atomics.notify(words, ${DONE});
});
`;

/**
 * What the writer thread makes of a file's bytes before writing them: the
 * source text of a function `(state, bytes, emit)` that refers to nothing
 * outside itself. It is called for each buffer in order, with one `state`
 * object per file (`{}` at first), and hands what to write to
 * `emit(piece, length)` before it returns.
 */
export interface SinkTransform {
  /** One name per source: compiled once per writer thread. */
  name: string;
  source: string;
}

type Op =
  | { op: "open"; file: number; path: string; transform?: SinkTransform }
  | { op: "write"; file: number; slot: number; length: number }
  | { op: "close"; file: number };

/** The slots and the writer thread of this thread. */
class Pool {
  readonly words: Int32Array;
  readonly buffers: Buffer[] = [];
  readonly views: DataView[] = [];
  readonly #error: SharedArrayBuffer;
  readonly #worker: Worker;
  readonly #paths = new Map<number, string>();
  /** Files closed since the last settle: their names are kept until then, for an error to name. */
  #ended: number[] = [];
  #posted = 0;
  #files = 0;
  /** Slots taken for filling (by open sinks), not yet handed over. */
  #filling = 0;

  constructor() {
    const control = new SharedArrayBuffer((STATE + SLOTS) * 4);
    const slots = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    this.#error = new SharedArrayBuffer(ERROR_BYTES);
    this.words = new Int32Array(control);
    this.words[FREE] = SLOTS;
    for (let i = 0; i < SLOTS; i++) {
      this.buffers.push(Buffer.from(slots, i * SLOT_BYTES, SLOT_BYTES));
      this.views.push(new DataView(slots, i * SLOT_BYTES, SLOT_BYTES));
    }
    this.#worker = new Worker(WRITER, { eval: true, workerData: { control, slots, error: this.#error, slotBytes: SLOT_BYTES } });
    // An idle writer must not keep the process alive; writes still pending are waited for by settle().
    this.#worker.unref();
  }

  /**
   * Opens `path` for writing; returns its number. The file is created (or
   * emptied) here, so a path that cannot be written throws now; the writer
   * thread opens it again for itself, after what it was given before.
   */
  open(path: string, transform?: SinkTransform): number {
    closeSync(openSync(path, "w"));
    const file = ++this.#files;
    this.#paths.set(file, path);
    this.post(transform ? { op: "open", file, path, transform } : { op: "open", file, path });
    return file;
  }

  /** A free slot, taken; waits while every slot is being written. */
  take(): number {
    const words = this.words;
    // Slots held by open sinks come back only when those are flushed or ended, which waiting here would never see.
    if (this.#filling === SLOTS) throw new Error(`file sink: ${SLOTS} files are open for writing at once; one was not ended`);
    while (Atomics.load(words, FREE) === 0) this.#wait(FREE, 0);
    this.check();
    for (let i = 0; i < SLOTS; i++) {
      if (Atomics.compareExchange(words, STATE + i, 0, 1) === 0) {
        Atomics.sub(words, FREE, 1);
        this.#filling++;
        return i;
      }
    }
    throw new Error("file sink: a free slot was counted but none was found");
  }

  /** Hands slot `slot`, filled with `length` bytes, to be written to `file`. */
  write(file: number, slot: number, length: number): void {
    this.#filling--;
    this.post({ op: "write", file, slot, length });
  }

  /** Gives back a slot that was taken but never filled. */
  giveBack(slot: number): void {
    this.#filling--;
    Atomics.store(this.words, STATE + slot, 0);
    Atomics.add(this.words, FREE, 1);
  }

  post(op: Op): void {
    this.#posted++;
    this.#worker.postMessage(op);
  }

  /** Waits until every operation handed over is done; throws the first that failed. */
  settle(): void {
    const words = this.words;
    for (let done = Atomics.load(words, DONE); done !== this.#posted; done = Atomics.load(words, DONE)) this.#wait(DONE, done);
    try {
      this.check();
    } finally {
      for (const file of this.#ended) this.#paths.delete(file);
      this.#ended = [];
    }
  }

  /** Waits for the writer thread to move `word` off `value`; a writer that stopped (it died, or the disk hangs) is an error, not a hang. */
  #wait(word: number, value: number): void {
    if (Atomics.wait(this.words, word, value, STALL_MS) !== "timed-out") return;
    if (Atomics.load(this.words, word) !== value) return;
    throw new Error(`waited ${STALL_MS / 1000} s for the file writer thread: it has stopped, or the disk does not answer`);
  }

  check(): void {
    // 1: a failure is being written down; it is reported at the next check (settling waits for it).
    if (Atomics.load(this.words, FAILED) !== 2) return;
    const [file, length] = new Int32Array(this.#error, 0, 2);
    const message = Buffer.from(this.#error, 8, length!).toString("utf8");
    // Reported once: a later import in this thread starts clean.
    Atomics.store(this.words, FAILED, 0);
    throw new Error(`could not write ${this.#paths.get(file!) ?? "a file"}: ${message}`);
  }

  /** Hands over a file's close. */
  close(file: number): void {
    this.post({ op: "close", file });
    this.#ended.push(file);
  }
}

let pool: Pool | undefined;
/** What a sink fills after a failed write left it without a slot: nothing it is given is written. */
const NO_SLOT = Buffer.alloc(0);
const NO_VIEW = new DataView(new ArrayBuffer(0));

function poolOf(): Pool {
  return (pool ??= new Pool());
}

/**
 * A file written through the writer thread, appended to in order. Fill
 * `buf` from `at` (after `room(n)`), or `write()` bytes; `end()` closes it
 * once its bytes are written, without waiting for them.
 *
 * @example
 * const sink = new FileSink("/var/lib/rosterbox/results/JOB.csv");
 * sink.write(Buffer.from("file,line\n"));
 * sink.room(5); sink.at += sink.buf.write("a,2\n", sink.at);
 * sink.end(); settleWrites();
 */
export class FileSink {
  readonly #pool: Pool;
  readonly #file: number;
  #slot: number;
  /** The slot being filled; bytes `[0, at)` are waiting to be handed over. */
  buf: Buffer;
  /** `buf` as a DataView, for fixed-width fields. */
  view: DataView;
  at = 0;
  #handed = 0;
  #ended = false;

  /** `transform`: what the writer thread makes of the bytes before writing them (none: they are written as given). */
  constructor(readonly path: string, transform?: SinkTransform) {
    this.#pool = poolOf();
    this.#file = this.#pool.open(path, transform);
    try {
      this.#slot = this.#pool.take();
    } catch (err) {
      this.#pool.close(this.#file);
      throw err;
    }
    this.buf = this.#pool.buffers[this.#slot]!;
    this.view = this.#pool.views[this.#slot]!;
  }

  /** Bytes given to the file so far, written or on their way (as given: before a transform). */
  get length(): number {
    return this.#handed + this.at;
  }

  /** Makes room for `n` bytes (at most {@link SLOT_BYTES}) at `at`. */
  room(n: number): void {
    if (n > SLOT_BYTES) throw new RangeError(`file sink: ${n} bytes do not fit one buffer; write() them`);
    if (this.at + n > SLOT_BYTES) this.flush();
  }

  /** Appends `src[start, end)`, of any length. */
  write(src: Uint8Array, start = 0, end = src.length): void {
    while (start < end) {
      if (this.at === SLOT_BYTES) this.flush();
      const n = Math.min(end - start, SLOT_BYTES - this.at);
      this.buf.set(src.subarray(start, start + n), this.at);
      this.at += n;
      start += n;
    }
  }

  /** Hands what is buffered to the writer thread and takes a fresh slot. */
  flush(): void {
    if (this.#slot >= 0) {
      if (this.at === 0) return this.#pool.check();
      this.#hand();
    }
    // take() reports a write of any file that failed; the sink then has no slot to fill.
    this.at = 0;
    this.buf = NO_SLOT;
    this.view = NO_VIEW;
    this.#slot = this.#pool.take();
    this.buf = this.#pool.buffers[this.#slot]!;
    this.view = this.#pool.views[this.#slot]!;
  }

  /** Hands over the rest and closes the file once it is written. {@link settleWrites} waits for that. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#slot < 0) {
      // A failed write took its slot: what came after is not written.
    } else if (this.at > 0) this.#hand();
    else this.#pool.giveBack(this.#slot);
    this.#pool.close(this.#file);
  }

  #hand(): void {
    this.#pool.write(this.#file, this.#slot, this.at);
    this.#slot = -1;
    this.#handed += this.at;
    this.at = 0;
  }
}

/**
 * Waits until every file sink of this thread has written what it was given
 * (and closed, if ended); throws the first write that failed, naming its file.
 * Call it before reading a file back, or before a job says it is done.
 *
 * @example sink.end(); settleWrites(); readFileSync(sink.path);
 */
export function settleWrites(): void {
  pool?.settle();
}

/**
 * {@link settleWrites} for a job that stops for another reason: waits for
 * what was handed over (so its staging can be removed) and forgets a write
 * that failed, since the job's own error is the one to report.
 *
 * @example try { stage(); } catch (err) { abandonWrites(); throw err; }
 */
export function abandonWrites(): void {
  try {
    pool?.settle();
  } catch {
    // Reported by the caller's own error.
  }
}
