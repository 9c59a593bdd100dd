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
import { abandonWrites, FileSink, SLOT_BYTES, settleWrites, type SinkTransform } from "./_file-sink.ts";
import { ACTIONS, CONTEXT, CONTEXT_HEAD, expandResults, RAW, RAW_HEAD, ROW, ROW_HEAD, STATUSES } from "./_results-codec.ts";
import { utf8Write } from "./_runs.ts";

export type RowAction = (typeof ACTIONS)[number];
export type RowStatus = (typeof STATUSES)[number];

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

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(value: string): string {
  if (value === "" || !/[",\r\n]/.test(value)) return value;
  return `"${value.replaceAll('"', '""')}"`;
}

const ACTION_CODES = new Map<string, number>(ACTIONS.map((a, i) => [a, i]));
const STATUS_CODES = new Map<string, number>(STATUSES.map((s, i) => [s, i]));
const UNCHANGED = ACTION_CODES.get("unchanged")!;
const SUCCESS = STATUS_CODES.get("SUCCESS")!;
const EXPAND: SinkTransform = { name: "results-csv", source: expandResults.toString() };

/**
 * Writes a job's results CSV.
 *
 * Rows are handed to the writer thread as compact records
 * (`_results-codec.ts`), which it makes into CSV text on the second core: a
 * results file has a row for every row read (1.6 M for a 200k-student
 * district), and making each one here cost a third of a nightly re-import's
 * time for its unchanged rows.
 *
 * @example
 * const w = new ResultsWriter("/var/lib/rosterbox/results/JOB.csv");
 * w.write({ file: "users.csv", line: 2, entity: "users", sourcedId: "u1", action: "create", status: "SUCCESS", message: "" });
 * w.close();
 */
export class ResultsWriter {
  #sink: FileSink;
  // Rows come file by file: `file,` and `,entity,` are handed over once per run of rows.
  #file: string | undefined;
  #entity: string | undefined;
  /** The context is too long for a context record. */
  #wideContext = false;

  /** Creates `path` and writes the header. */
  constructor(readonly path: string) {
    this.#sink = new FileSink(path, EXPAND);
    this.#raw(Buffer.from(RESULTS_HEADER));
  }

  write(row: ResultRow): void {
    this.#put(row.file, row.line, row.entity, row.sourcedId, ACTION_CODES.get(row.action)!, STATUS_CODES.get(row.status)!, row.message);
  }

  /**
   * {@link write} of a row found unchanged, without a row object: most rows
   * of a nightly re-import.
   *
   * @example w.unchanged("users.csv", 2, "users", "u1");
   */
  unchanged(file: string, line: number, entity: string, sourcedId: string): void {
    this.#put(file, line, entity, sourcedId, UNCHANGED, SUCCESS, "");
  }

  /** `action` and `status` by their codes (`ACTIONS`, `STATUSES`). */
  #put(file: string, line: number, entity: string, id: string, action: number, status: number, text: string): void {
    if (file !== this.#file || entity !== this.#entity) this.#context(file, entity);
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const room = ROW_HEAD + 3 * id.length + 3 * text.length;
    // A row longer than a buffer (a message quoting a huge field) is made into CSV here, and passed through.
    if (this.#wideContext || room > SLOT_BYTES || !(line >= 0 && line <= 0xffffffff) || id.length > 0x5555) {
      const row = [csvField(file), line, csvField(entity), csvField(id), ACTIONS[action], STATUSES[status], csvField(text)];
      return this.#raw(Buffer.from(`${row.join(",")}\n`));
    }
    const sink = this.#sink;
    sink.room(room);
    const buf = sink.buf, view = sink.view, at = sink.at;
    buf[at] = ROW;
    buf[at + 1] = action;
    buf[at + 2] = status;
    view.setUint32(at + 3, line, true);
    const idBytes = id === "" ? 0 : utf8Write(buf, id, at + ROW_HEAD);
    const messageBytes = text === "" ? 0 : utf8Write(buf, text, at + ROW_HEAD + idBytes);
    view.setUint16(at + 7, idBytes, true);
    view.setUint32(at + 9, messageBytes, true);
    sink.at = at + ROW_HEAD + idBytes + messageBytes;
  }

  /** Hands over `file,` and `,entity,` for the rows that follow. */
  #context(file: string, entity: string): void {
    this.#file = file;
    this.#entity = entity;
    const head = Buffer.from(`${csvField(file)},`);
    const mid = Buffer.from(`,${csvField(entity)},`);
    // Past a record's 16-bit lengths (the files of an identical package, named in one row): its rows go as CSV.
    this.#wideContext = head.length > 0xffff || mid.length > 0xffff;
    if (this.#wideContext) return;
    const sink = this.#sink;
    sink.room(CONTEXT_HEAD + head.length + mid.length);
    const at = sink.at;
    sink.buf[at] = CONTEXT;
    sink.view.setUint16(at + 1, head.length, true);
    sink.view.setUint16(at + 3, mid.length, true);
    sink.buf.set(head, at + CONTEXT_HEAD);
    sink.buf.set(mid, at + CONTEXT_HEAD + head.length);
    sink.at = at + CONTEXT_HEAD + head.length + mid.length;
  }

  /** Hands over finished CSV text, written as it is. */
  #raw(text: Buffer): void {
    const sink = this.#sink;
    sink.room(RAW_HEAD);
    sink.buf[sink.at] = RAW;
    sink.view.setUint32(sink.at + 1, text.length, true);
    sink.at += RAW_HEAD;
    sink.write(text);
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
