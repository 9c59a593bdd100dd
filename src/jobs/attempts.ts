/**
 * A job whose worker fails (it ran out of heap, exited, or met an error
 * that is not the input's — a disk that is full or answers EIO) is tried
 * again at once, from where the store says it got to, before the tenant's
 * next job may start: left `running` until the next restart, it let later
 * jobs apply first, and then replayed its old plan over their newer data.
 * After the last attempt it ends `failed`, and its submission is tidied as
 * any failed one.
 *
 * @module
 */
import { appendJobEvent, loadJob, saveJob, type JobRecord } from "../store/jobs.ts";
import type { Store } from "../store/mod.ts";

/** Tries a job gets before it is failed. */
export const JOB_ATTEMPTS = 3;

export interface Attempts {
  /** Runs the job; `attempt` counts from 1 (a later one resumes). */
  run: (attempt: number) => Promise<JobRecord>;
  /** Told of each failure but the last. */
  retrying: (err: Error, attempt: number) => void;
  /** How long to wait before attempt `attempt + 1`. */
  pauseMs?: (attempt: number) => number;
}

/**
 * Runs a job up to {@link JOB_ATTEMPTS} times; resolves to its end, or to
 * the last error when every attempt failed.
 *
 * @example const end = await attemptJob({ run: (n) => runInWorker(n === 1 ? first : resume), retrying: (err, n) => log(err, n) });
 */
export async function attemptJob(a: Attempts): Promise<JobRecord | Error> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await a.run(attempt);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (attempt >= JOB_ATTEMPTS) return error;
      a.retrying(error, attempt);
      await new Promise((r) => setTimeout(r, a.pauseMs?.(attempt) ?? 2000 * attempt));
    }
  }
}

/**
 * Ends a job whose every attempt failed: `failed`, saying what stopped it and
 * what the store holds of it (an apply's committed batches stay: each is
 * whole, and the feed's next bulk file plans against them).
 *
 * @example const failed = failStoppedJob(store, job.id, err);
 */
export async function failStoppedJob(store: Store, jobId: string, err: Error): Promise<JobRecord | undefined> {
  const job = loadJob(store, jobId);
  if (!job) return undefined;
  const applied = job.phase === "applying" ? " Changes it had applied are kept, batch by batch; the feed's next file is planned against them." : " Nothing was applied.";
  const failed: JobRecord = {
    ...job, status: "failed", phase: "done", finishedAt: new Date().toISOString(),
    message: `The job stopped ${JOB_ATTEMPTS} times and was given up: ${err.message}.${applied} Look at the machine's memory and disk, then send the files again.`,
  };
  saveJob(store, failed);
  appendJobEvent(store, jobId, "failed", { message: err.message });
  await store.dropStaging(jobId);
  return failed;
}
