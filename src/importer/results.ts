/**
 * The per-row results CSV of a job (CONTRACT.md):
 * `file,line,entity,sourcedId,action,status,message`.
 *
 * Written as the job goes, through the writer thread (`_file-sink.ts`), so
 * a 6-million-row file costs no memory and no waiting on the disk, and a
 * crash leaves a file that is whole up to its last written buffer.
 *
 * @module
 */
import { abandonWrites, FileSink, SLOT_BYTES, settleWrites } from "./_file-sink.ts";
import { utf8Write } from "./_runs.ts";

export type RowAction = "create" | "update" | "delete" | "unchanged" | "skip";
export type RowStatus = "SUCCESS" | "WARNING" | "ERROR";

export interface ResultRow {
  file: string;
  line: number;
  entity: string;
  sourcedId: string;
  action: RowAction;
  status: RowStatus;
  message: string;
}

export const RESULTS_HEADER = "file,line,entity,sourcedId,action,status,message\n";
const NEWLINE = 10;

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(value: string): string {
  if (value === "" || !/[",\r\n]/.test(value)) return value;
  return `"${value.replaceAll('"', '""')}"`;
}

/**
 * Writes a job's results CSV.
 *
 * Rows are encoded straight into one reused byte buffer: a results file has
 * a row for every row read (1.6 M for a 200k-student district), and building
 * each as a string to convert later kept thousands of string pieces alive
 * per flush, for the garbage collector to copy.
 *
 * @example
 * const w = new ResultsWriter("/var/lib/rosterbox/results/JOB.csv");
 * w.write({ file: "users.csv", line: 2, entity: "users", sourcedId: "u1", action: "create", status: "SUCCESS", message: "" });
 * w.close();
 */
export class ResultsWriter {
  #sink: FileSink;
  // Rows come file by file: `file,` and `,entity,` are encoded once per run of rows.
  #file = "";
  #entity = "";
  #head: Uint8Array = new Uint8Array(0);
  #mid: Uint8Array = new Uint8Array(0);
  /** `,action,status,` as bytes, for the last action and status written. */
  #lastAction = "";
  #lastStatus = "";
  #lastTail: Uint8Array = new Uint8Array(0);

  /** Creates `path` and writes the header. */
  constructor(readonly path: string) {
    this.#sink = new FileSink(path);
    this.#sink.write(Buffer.from(RESULTS_HEADER));
  }

  write(row: ResultRow): void {
    this.#put(row.file, row.line, row.entity, row.sourcedId, row.action, row.status, row.message);
  }

  /**
   * {@link write} of a row found unchanged, without a row object: most rows
   * of a nightly re-import.
   *
   * @example w.unchanged("users.csv", 2, "users", "u1");
   */
  unchanged(file: string, line: number, entity: string, sourcedId: string): void {
    this.#put(file, line, entity, sourcedId, "unchanged", "SUCCESS", "");
  }

  #put(file: string, line: number, entity: string, id: string, action: RowAction, status: RowStatus, text: string): void {
    if (file !== this.#file || entity !== this.#entity) {
      this.#file = file;
      this.#entity = entity;
      this.#head = Buffer.from(`${csvField(file)},`);
      this.#mid = Buffer.from(`,${csvField(entity)},`);
    }
    const message = text === "" ? "" : csvField(text);
    const tail = this.#tail(action, status);
    const head = this.#head, mid = this.#mid;
    // UTF-8 takes at most 3 bytes per UTF-16 unit (6 quoted); a line number at most 10 digits.
    const room = head.length + mid.length + tail.length + 6 * id.length + 3 * message.length + 14;
    const sink = this.#sink;
    // A row longer than a buffer (a message quoting a huge field) is encoded on its own.
    const alone = room > SLOT_BYTES;
    if (!alone) sink.room(room);
    const buf = alone ? Buffer.allocUnsafe(room) : sink.buf;
    let at = alone ? 0 : sink.at;
    // The short parts are copied in JavaScript: cheaper than a call into the runtime for a few bytes.
    for (let i = 0; i < head.length; i++) buf[at++] = head[i]!;
    at = writeDigits(buf, at, line);
    for (let i = 0; i < mid.length; i++) buf[at++] = mid[i]!;
    at = writeField(buf, at, id);
    for (let i = 0; i < tail.length; i++) buf[at++] = tail[i]!;
    if (message !== "") at += utf8Write(buf, message, at);
    buf[at++] = NEWLINE;
    if (alone) sink.write(buf, 0, at);
    else sink.at = at;
  }

  #tail(action: string, status: string): Uint8Array {
    // Rows come in runs of one action and status: the last pair is most often asked again.
    if (action !== this.#lastAction || status !== this.#lastStatus) {
      this.#lastAction = action;
      this.#lastStatus = status;
      this.#lastTail = Buffer.from(`,${action},${status},`);
    }
    return this.#lastTail;
  }

  /** Ends the file and waits until it is written: it can be read once this returns. */
  close(): void {
    this.#sink.end();
    settleWrites();
  }

  /**
   * Ends the file of a job that stopped for another reason: waits as
   * {@link close} does, but a write that failed is not reported over the
   * job's own error.
   *
   * @example try { stage(); } catch (err) { w.abandon(); throw err; }
   */
  abandon(): void {
    this.#sink.end();
    abandonWrites();
  }
}

/**
 * Writes `text` at `at` as a CSV field; returns where it ends. Its bytes are
 * looked over after writing (a quote, comma or line end is rare in a
 * sourcedId) rather than tested with a regular expression first.
 */
function writeField(buf: Buffer, at: number, text: string): number {
  const end = at + utf8Write(buf, text, at);
  for (let i = at; i < end; i++) {
    const b = buf[i]!;
    if (b === 34 || b === 44 || b === 13 || b === 10) return at + utf8Write(buf, csvField(text), at);
  }
  return end;
}

/** Writes `n` (a whole number ≥ 0) in decimal at `at`; returns where it ends. */
function writeDigits(buf: Buffer, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 48 + n;
    return at + 1;
  }
  let digits = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
  for (let i = at + digits - 1, v = n; i >= at; i--, v = Math.floor(v / 10)) buf[i] = 48 + (v % 10);
  return at + digits;
}
