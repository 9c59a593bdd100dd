/**
 * Reading a job's results CSV back: the first rows that match (the first
 * errors, a sample of deletes) without reading the whole file into memory.
 *
 * @module
 */
import { createReadStream, existsSync } from "node:fs";
import { decodeText, readCsv } from "../formats/csv/mod.ts";
import type { ResultRow, RowAction, RowStatus } from "./results.ts";

/**
 * The first `limit` result rows `match` accepts, in file order.
 *
 * @example const errors = await firstResults(job.resultsPath, (r) => r.status === "ERROR", 20);
 */
export async function firstResults(path: string, match: (row: ResultRow) => boolean, limit: number): Promise<ResultRow[]> {
  const out: ResultRow[] = [];
  if (limit <= 0) return out;
  for await (const row of readResults(path)) {
    if (!match(row)) continue;
    out.push(row);
    if (out.length === limit) break;
  }
  return out;
}

/**
 * Every result row of a results CSV, in file order (none when there is no file).
 *
 * @example for await (const row of readResults(job.resultsPath)) if (row.status === "ERROR") …
 */
export async function* readResults(path: string): AsyncGenerator<ResultRow> {
  if (!existsSync(path)) return;
  const stream = createReadStream(path);
  try {
    for await (const batch of readCsv(decodeText(stream, path), { file: path })) {
      for (const item of batch) {
        if ("error" in item || item.line === 1) continue;
        const [file = "", line = "0", entity = "", sourcedId = "", action = "", status = "", message = ""] = item.fields;
        yield { file, line: Number(line), entity, sourcedId, action: action as RowAction, status: status as RowStatus, message };
      }
    }
  } finally {
    stream.destroy();
  }
}
