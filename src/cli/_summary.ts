/**
 * How validate and import report: a table for people, one JSON object for
 * scripts (CONTRACT.md), and the exit code.
 *
 * @module
 */
import type { JobRecord, JobStatus } from "../store/jobs.ts";

export interface Summary {
  status: JobStatus;
  rows: number;
  counts: JobRecord["counts"];
  results: string | null;
  job: string;
  message: string;
}

const COLUMNS = ["created", "updated", "deleted", "unchanged", "errors", "warnings"] as const;

/** 0 clean, 1 some rows rejected, 2 nothing applied (file-level failure), 3 held for approval. */
export function exitCode(status: JobStatus): number {
  switch (status) {
    case "complete":
      return 0;
    case "incomplete":
      return 1;
    case "held":
      return 3;
    default:
      return 2;
  }
}

/** @example printSummary(summary, true) // {"status":"complete","rows":12,…} */
export function printSummary(s: Summary, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(s) + "\n");
    return;
  }
  const lines = [`${s.status.toUpperCase()}: ${s.rows} rows. ${s.message}`];
  const entities = Object.keys(s.counts);
  if (entities.length) {
    const width = Math.max(8, ...entities.map((e) => e.length));
    lines.push(["entity".padEnd(width), ...COLUMNS.map((c) => c.padStart(10))].join(" "));
    for (const e of entities) lines.push([e.padEnd(width), ...COLUMNS.map((c) => String(s.counts[e]![c]).padStart(10))].join(" "));
  }
  if (s.results) lines.push(`results: ${s.results}`);
  process.stdout.write(lines.join("\n") + "\n");
}
