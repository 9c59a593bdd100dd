/**
 * The job list: jobs newest first, filtered by tenant, feed, status and
 * date, a page at a time — fast with years of history.
 *
 * Job ids sort by the time they were received, so "newest first" is a
 * reverse walk of the `jobs` database and a date filter is a key range. A
 * tenant, a feed or a status narrows the walk to a secondary key in
 * `jobIndex` (`t · tenant · id`, `f · tenant · feed · id`, `s · status · id`,
 * `ts · tenant · status · id`),
 * kept in step by {@link indexJob} in the same transaction as the job.
 *
 * @module
 */
import type { JobRecord, JobStatus } from "./jobs.ts";
import type { Store } from "./mod.ts";

const SEP = "\x00";
/** Marks the index as built for the jobs the store already held. */
const BUILT = "\x01built-2";

export interface JobFilter {
  tenant?: string;
  feed?: string;
  status?: JobStatus;
  /** Only jobs received at or after this ISO date or time. */
  from?: string;
  /** Only jobs received before the end of this ISO date (YYYY-MM-DD) or before this time. */
  to?: string;
}

export interface JobPage {
  jobs: JobRecord[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  next: string | null;
}

function keysOf(job: Pick<JobRecord, "id" | "tenant" | "feed" | "status">): string[] {
  return [
    ["t", job.tenant, job.id].join(SEP),
    ["f", job.tenant, job.feed, job.id].join(SEP),
    ["s", job.status, job.id].join(SEP),
    ["ts", job.tenant, job.status, job.id].join(SEP),
  ];
}

/**
 * Writes `job`'s index keys, removing the status key of `previous`. Call it
 * inside the transaction that saves the job.
 *
 * @example store.env.transactionSync(() => { indexJob(store, job, old); store.jobs.putSync(job.id, job); });
 */
export function indexJob(store: Store, job: JobRecord, previous: JobRecord | undefined): void {
  if (previous && previous.status !== job.status) {
    store.jobIndex.removeSync(["s", previous.status, previous.id].join(SEP));
    store.jobIndex.removeSync(["ts", previous.tenant, previous.status, previous.id].join(SEP));
  }
  if (previous?.status === job.status) return;
  for (const key of keysOf(job)) store.jobIndex.putSync(key, true);
}

/**
 * Builds the index for jobs saved before it existed (once; later saves keep it).
 *
 * @example ensureJobIndex(store)
 */
export function ensureJobIndex(store: Store): void {
  if (store.jobIndex.get(BUILT)) return;
  store.env.transactionSync(() => {
    for (const { key, value } of store.jobs.getRange({})) {
      if (typeof key === "string" && isJobKey(key)) for (const k of keysOf(value as JobRecord)) store.jobIndex.putSync(k, true);
    }
    store.jobIndex.putSync(BUILT, true);
  });
}

/** Job records are keyed by their id; other keys of `jobs` (checkpoints, markers) hold a control character. */
export function isJobKey(key: string): boolean {
  return !key.includes("\x00") && !key.startsWith("\x01");
}

/** The upper bound of ids received before the end of `to` (a date means the whole day). */
function idBound(iso: string, endOfDay: boolean): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const t = new Date(day && endOfDay ? `${iso}T23:59:59.999Z` : iso);
  if (Number.isNaN(t.getTime())) throw new RangeError(`"${iso}" is not a date (YYYY-MM-DD) or an ISO time`);
  const stamp = new Date(t.getTime() + (endOfDay ? 1 : 0)).toISOString().replace(/[-:]/g, "");
  return stamp;
}

/**
 * One page of jobs, newest first.
 *
 * @example
 * const page = listJobs(store, { tenant: "strata", status: "failed" }, 50);
 * const more = page.next ? listJobs(store, { tenant: "strata", status: "failed" }, 50, page.next) : undefined;
 */
export function listJobs(store: Store, filter: JobFilter, limit: number, cursor?: string): JobPage {
  const newest = filter.to ? idBound(filter.to, true) : "\x7f";
  const oldest = filter.from ? idBound(filter.from, false) : "";
  const below = cursor !== undefined && cursor < newest ? cursor : newest;
  // The narrowest index the filter allows; the other conditions are checked per job.
  const prefix = filter.tenant !== undefined && filter.feed !== undefined ? ["f", filter.tenant, filter.feed, ""].join(SEP)
    : filter.tenant !== undefined && filter.status !== undefined ? ["ts", filter.tenant, filter.status, ""].join(SEP)
    : filter.tenant !== undefined ? ["t", filter.tenant, ""].join(SEP)
    : filter.status !== undefined ? ["s", filter.status, ""].join(SEP)
    : undefined;
  const ids: Iterable<string> = prefix === undefined
    ? mapKeys(store.jobs.getKeys({ start: below, end: oldest, reverse: true }), (k) => (isJobKey(k) && k < below ? k : undefined))
    : mapKeys(store.jobIndex.getKeys({ start: prefix + below, end: prefix + oldest, reverse: true }), (k) => (k.startsWith(prefix) && k.slice(prefix.length) < below ? k.slice(prefix.length) : undefined));
  const jobs: JobRecord[] = [];
  for (const id of ids) {
    const job = store.jobs.get(id) as JobRecord | undefined;
    if (!job || !matches(job, filter)) continue;
    if (jobs.length === limit) return { jobs, next: jobs[jobs.length - 1]!.id };
    jobs.push(job);
  }
  return { jobs, next: null };
}

function* mapKeys(keys: Iterable<unknown>, pick: (key: string) => string | undefined): Generator<string> {
  for (const raw of keys) {
    // lmdb's key encoding may hand a NUL-separated string back as the array of its parts.
    const key = Array.isArray(raw) ? raw.join(SEP) : raw;
    const id = typeof key === "string" ? pick(key) : undefined;
    if (id !== undefined) yield id;
  }
}

function matches(job: JobRecord, f: JobFilter): boolean {
  return (f.tenant === undefined || job.tenant === f.tenant)
    && (f.feed === undefined || job.feed === f.feed)
    && (f.status === undefined || job.status === f.status);
}

/**
 * How many jobs are in each state (for the metrics and the dashboard).
 *
 * @example jobsByStatus(store).held // 2
 */
export function jobsByStatus(store: Store): Record<JobStatus, number> {
  const out: Record<JobStatus, number> = { queued: 0, running: 0, held: 0, complete: 0, incomplete: 0, failed: 0, cancelled: 0 };
  for (const status of Object.keys(out) as JobStatus[]) {
    const prefix = ["s", status, ""].join(SEP);
    out[status] = store.jobIndex.getKeysCount({ start: prefix, end: ["s", status, "\x7f"].join(SEP) });
  }
  return out;
}

/**
 * The jobs of one feed received after `id`, oldest first.
 *
 * @example for (const later of jobsOfFeedAfter(store, "strata", "OneRoster", job.id)) …
 */
export function* jobsOfFeedAfter(store: Store, tenant: string, feed: string, id: string): Generator<JobRecord> {
  const prefix = ["f", tenant, feed, ""].join(SEP);
  for (const raw of store.jobIndex.getKeys({ start: prefix + id + SEP, end: prefix + "\x7f" })) {
    const key = Array.isArray(raw) ? raw.join(SEP) : String(raw);
    const job = store.jobs.get(key.slice(prefix.length)) as JobRecord | undefined;
    if (job) yield job;
  }
}
