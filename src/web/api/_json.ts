/**
 * The Job of CONTRACT.md's HTTP API, from a job record.
 *
 * @module
 */
import type { JobRecord } from "../../store/jobs.ts";
import { totals as sumCounts } from "../../importer/counts.ts";

export interface JobJson {
  id: string;
  tenant: string;
  feed: string;
  files: string[];
  status: string;
  dryRun: boolean;
  counts: { rows: number; created: number; updated: number; deleted: number; unchanged: number; errors: number; warnings: number };
  /** The same counts per entity. */
  entities: JobRecord["counts"];
  receivedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  message: string;
  held: string[] | null;
  progress: { phase: string; rows: number; changed: number; fraction: number | null; at: string } | null;
}

/** @example c.json(jobJson(job)) */
export function jobJson(job: JobRecord): JobJson {
  const totals = { rows: job.rows, ...sumCounts(job.counts) };
  const p = job.progress;
  const toApply = totals.created + totals.updated + totals.deleted;
  const progress = job.status === "running" && p
    ? { phase: p.phase, rows: p.rows, changed: p.changed ?? 0, fraction: p.phase === "applying" && toApply > 0 ? Math.min(1, (p.changed ?? 0) / toApply) : null, at: p.at }
    : null;
  return {
    id: job.id, tenant: job.tenant, feed: job.feed, files: job.files, status: job.status, dryRun: job.dryRun,
    counts: totals, entities: job.counts, receivedAt: job.receivedAt, startedAt: job.startedAt ?? null, finishedAt: job.finishedAt ?? null,
    message: job.message, held: job.held ?? null, progress,
  };
}
