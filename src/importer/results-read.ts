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
  if (!existsSync(path)) return [];
  const out: ResultRow[] = [];
  const stream = createReadStream(path);
  try {
    for await (const batch of readCsv(decodeText(stream, path), { file: path })) {
      for (const item of batch) {
        if ("error" in item || item.line === 1) continue;
        const [file = "", line = "0", entity = "", sourcedId = "", action = "", status = "", message = ""] = item.fields;
        const row: ResultRow = { file, line: Number(line), entity, sourcedId, action: action as RowAction, status: status as RowStatus, message };
        if (!match(row)) continue;
        out.push(row);
        if (out.length === limit) return out;
      }
    }
  } finally {
    stream.destroy();
  }
  return out;
}
