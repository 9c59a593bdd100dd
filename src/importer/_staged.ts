/**
 * The layout of a row in a job's staging database: what the plan needs of
 * it, and where it came from for the results.
 *
 * `fileIndex RS line RS op RS keepBlank RS warning RS status RS body`
 *
 * @module
 */

const RS = "\x1e";

export interface StagedRow {
  fileIndex: number;
  line: number;
  op: "upsert" | "delete";
  /** Fields whose blank value keeps the stored one, comma-joined ("" for none). */
  keepBlank: string;
  /** Warnings found while checking the row, for its result line. */
  warning: string;
  status: "active" | "tobedeleted";
  body: string;
}

export function encodeStaged(r: StagedRow): string {
  return r.fileIndex + RS + r.line + RS + r.op + RS + r.keepBlank + RS + r.warning.replaceAll(RS, " ") + RS + r.status + RS + r.body;
}

/** A staged row's fields before its body, read from its bytes; the body stays bytes at `bodyStart`. */
export type StagedHead = Omit<StagedRow, "body"> & { bodyStart: number };

const RS_BYTE = 0x1e;

/**
 * Reads a staged row's head from `buf[start, end)` without decoding its body:
 * the plan compares most bodies with the stored ones as bytes.
 *
 * @example const head = decodeStagedHead(buf, 0, buf.length); buf.toString("utf8", head.bodyStart);
 */
export function decodeStagedHead(buf: Buffer, start: number, end: number): StagedHead {
  const p = [0, 0, 0, 0, 0, 0];
  let at = start;
  for (let i = 0; i < 6; i++) {
    while (at < end && buf[at] !== RS_BYTE) at++;
    if (at >= end) throw new Error("a staged row is damaged; the job must be staged again");
    p[i] = at++;
  }
  return {
    fileIndex: digits(buf, start, p[0]!),
    line: digits(buf, p[0]! + 1, p[1]!),
    op: buf[p[1]! + 1] === 0x64 ? "delete" : "upsert",
    keepBlank: p[3]! === p[2]! + 1 ? "" : buf.toString("utf8", p[2]! + 1, p[3]!),
    warning: p[4]! === p[3]! + 1 ? "" : buf.toString("utf8", p[3]! + 1, p[4]!),
    status: buf[p[4]! + 1] === 0x74 ? "tobedeleted" : "active",
    bodyStart: p[5]! + 1,
  };
}

function digits(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + buf[i]! - 48;
  return n;
}

/**
 * What stands in the runs for a row of a bulk file that was rejected: the
 * file holds its record, so the plan must not take the record for one the
 * file no longer holds and delete it. (Nothing else is staged of it; its
 * error is in the results already.)
 */
export const KEEP = "k";

/** Whether a staged value (`buf[start, end)`) is a {@link KEEP}. */
export function isKeep(buf: Buffer, start: number, end: number): boolean {
  return end - start === 1 && buf[start] === 0x6b;
}
