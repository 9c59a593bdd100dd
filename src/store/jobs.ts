/**
 * Job records: what a job was asked to do, where it stands, and what it
 * found. Kept in the `jobs` database so that a restarted process knows which
 * jobs to resume and the web page can show every one.
 *
 * @module
 */
import { BATCH_TXN, type Store } from "./mod.ts";
import { indexJob, isJobKey } from "./job-index.ts";

export type JobStatus = "queued" | "running" | "held" | "complete" | "incomplete" | "failed" | "cancelled";

/** How far an import got: a restart resumes an `applying` job from its checkpoint and re-plans the others. */
export type JobPhase = "staging" | "planned" | "applying" | "done";

export interface EntityCountsRecord {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  errors: number;
  warnings: number;
}

/** A submission from a folder: the folder, the manifest's name without `.done` (none for a quiet file), the data files. */
export interface SubmissionRecord {
  folder: string;
  manifest?: string;
  files: string[];
  /**
   * Each file as it was copied (`inode:size:mtimeMs`, by index): only a file
   * still so is removed from the folder, never a newer upload of the same
   * name. Jobs from before it have none, and their files are removed by name.
   */
  stamps?: string[];
  /** Set once the manifest's end state and the files' removal are done. */
  finalized?: boolean;
}

export interface JobRecord {
  id: string;
  tenant: string;
  feed: string;
  format: string;
  /** Paths of the files as staged for this job. */
  paths: string[];
  /** File names as people see them. */
  files: string[];
  status: JobStatus;
  phase: JobPhase;
  dryRun: boolean;
  rows: number;
  counts: Record<string, EntityCountsRecord>;
  /** Why the job is held: one sentence per threshold crossed. */
  held?: string[];
  message: string;
  resultsPath: string;
  receivedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** The request, kept so a restart can run the job again (formats' options, thresholds). */
  request: Record<string, unknown>;
  /** The entities the package supplies, in plan order (set when staged). */
  entities?: { entity: string; mode: "bulk" | "delta"; file: string }[];
  /** Staged rows rejected after staging (their count; the rows are in the staging database). */
  rejected?: number;
  /** Bulk entities whose unchanged rows the feed's fingerprints passed over (the plan reads their probes). */
  probed?: string[];
  /** Entities whose fingerprints this job wrote; they become the feed's when it is applied. */
  printed?: string[];
  /** The tenant's change sequence the plan was made against: a plan applied later onto another state makes no fingerprints. */
  planSeq?: number;
  /** For a job from a drop folder: where its manifest and data files are. */
  submission?: SubmissionRecord;
  /** Where a running job is: its phase, rows read, records changed (saved about once a second). */
  progress?: { phase: string; rows: number; changed?: number; at: string };
  /** A held job's decision, recorded before it is carried out. */
  decision?: { decision: "approve" | "cancel"; by: string; at: string };
  /** "export" for an export run (its `feed` is `exports/<name>`); imports leave it unset. */
  kind?: "import" | "export";
  /** What an export run wrote: the file (relative to the tenant root, none when nothing changed) and the change sequence it covered. */
  exported?: { name: string; file: string | null; rows: number; bytes: number; fromSeq: number; toSeq: number; test?: string };
}

/** @example saveJob(store, job) */
export function saveJob(store: Store, job: JobRecord): void {
  store.env.transactionSync(() => putJob(store, job));
}

/**
 * Saves a running job's progress figures without waiting for the disk: they
 * are visible at once, and on disk by the next durable save. Each wait cost a
 * busy import about 25 ms, once a second.
 *
 * @example saveJobProgress(store, job)
 */
export function saveJobProgress(store: Store, job: JobRecord): void {
  store.env.transactionSync(() => putJob(store, job), BATCH_TXN);
}

function putJob(store: Store, job: JobRecord): void {
  // The list's secondary keys change with the record, in the same transaction.
  indexJob(store, job, store.jobs.get(job.id) as JobRecord | undefined);
  store.jobs.putSync(job.id, job);
}

/** @example loadJob(store, "20261124T213301-ab12") */
export function loadJob(store: Store, id: string): JobRecord | undefined {
  return store.jobs.get(id) as JobRecord | undefined;
}

/** Jobs that were running when the process stopped. */
export function unfinishedJobs(store: Store): JobRecord[] {
  return allJobs(store).filter((j) => j.status === "running");
}

/** Every job record, oldest first (job ids sort by time). */
export function allJobs(store: Store): JobRecord[] {
  const out: JobRecord[] = [];
  for (const { key, value } of store.jobs.getRange({})) {
    if (typeof key === "string" && isJobKey(key)) out.push(value as JobRecord);
  }
  return out;
}

export interface JobEvent {
  time: string;
  event: string;
  [field: string]: unknown;
}

let eventSeq = 0;

/**
 * Adds an event to a job's log (`jobEvents`: job · time · n).
 *
 * @example appendJobEvent(store, job.id, "held", { reasons })
 */
export function appendJobEvent(store: Store, jobId: string, event: string, fields: Record<string, unknown> = {}): void {
  const now = new Date();
  const key = `${jobId}\x00${now.getTime().toString().padStart(15, "0")}\x00${String(eventSeq++).padStart(9, "0")}`;
  store.jobEvents.putSync(key, { time: now.toISOString(), event, ...fields });
}

/** A job's events, oldest first. */
export function jobEvents(store: Store, jobId: string): JobEvent[] {
  return store.jobEvents.getRange({ start: `${jobId}\x00`, end: `${jobId}\x01` }).map(({ value }) => value as JobEvent).asArray as unknown as JobEvent[];
}

let lastStamp = 0;

/**
 * A new job id: sortable by time, strictly increasing within a process (so
 * key order is the order jobs were received), unique across processes.
 *
 * @example newJobId() // "20261124T213301.042Z-3f9a1c"
 */
export function newJobId(now = Date.now()): string {
  lastStamp = Math.max(now, lastStamp + 1);
  const stamp = new Date(lastStamp).toISOString().replace(/[-:]/g, "");
  return `${stamp}-${crypto.randomUUID().slice(0, 6)}`;
}
