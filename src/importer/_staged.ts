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

export function decodeStaged(text: string): StagedRow {
  const p: number[] = [];
  let at = -1;
  for (let i = 0; i < 6; i++) p.push((at = text.indexOf(RS, at + 1)));
  return {
    fileIndex: Number(text.slice(0, p[0])),
    line: Number(text.slice(p[0]! + 1, p[1])),
    op: text.slice(p[1]! + 1, p[2]) as StagedRow["op"],
    keepBlank: text.slice(p[2]! + 1, p[3]),
    warning: text.slice(p[3]! + 1, p[4]),
    status: text.slice(p[4]! + 1, p[5]) as StagedRow["status"],
    body: text.slice(p[5]! + 1),
  };
}
