/**
 * Deciding a held job (a plan over a change threshold): approve applies it,
 * cancel ends it with nothing applied. The decision is recorded on the job
 * first, so that a decision made while the appliance runs (`rosterbox jobs
 * approve` with serve holding the data directory) is carried out by the
 * appliance, and one made while it is stopped is carried out at once.
 *
 * Approving re-plans the package against the store as it is now, and is
 * refused once a later job of the same feed has applied: the held package
 * would undo newer data.
 *
 * @module
 */
import { loadJob, saveJob, type JobRecord } from "../store/jobs.ts";
import { jobsOfFeedAfter } from "../store/job-index.ts";
import type { Store } from "../store/mod.ts";
import type { ImportRequest } from "../importer/run.ts";
import { runInWorker } from "./worker.ts";

export type Decision = "approve" | "cancel";

/** A decision that cannot be taken; the message says why. */
export class DecisionError extends Error {
  override name = "DecisionError";
}

/**
 * Records `decision` on a held job (checked: held, not overtaken).
 *
 * @example requestDecision(store, "20261124T213301Z-3f9a1c", "approve", "admin")
 */
export function requestDecision(store: Store, jobId: string, decision: Decision, by: string): JobRecord {
  const job = loadJob(store, jobId);
  if (!job) throw new DecisionError(`no job ${jobId}`);
  if (job.status !== "held") throw new DecisionError(`job ${jobId} is ${job.status}, not held; only a held job can be approved or cancelled`);
  // One decision per job: a cancel after an approve that is waiting to run would be shown, and not done.
  if (job.decision) throw new DecisionError(`job ${jobId} was decided already (${job.decision.decision} by ${job.decision.by} at ${job.decision.at}); it is being carried out`);
  if (decision === "approve") {
    const later = overtakenBy(store, job);
    if (later) {
      const how = later.status === "queued" ? "is waiting to run after it" : later.status === "running" ? "is running" : "has been applied since";
      throw new DecisionError(`job ${later.id} of the same feed ${how}; approving ${jobId} would undo it. Cancel ${jobId} instead`);
    }
  }
  const decided = { ...job, decision: { decision, by, at: new Date().toISOString() } };
  store.env.transactionSync(() => {
    saveJob(store, decided);
    store.jobs.putSync(PENDING + jobId, true);
  });
  return decided;
}

/** Jobs with a decision not yet carried out are listed under this prefix, so finding them reads no other job. */
const PENDING = "\x01decision\x00";

/**
 * Carries out a recorded decision: approve re-runs the job's import with
 * thresholds waived; cancel marks it cancelled and drops its staging.
 *
 * @example const done = await carryOutDecision(store, dataDir, job);
 */
export async function carryOutDecision(store: Store, dataDir: string, queued: JobRecord): Promise<JobRecord> {
  // As stored now: the copy that was queued may be older than its decision.
  const job = loadJob(store, queued.id) ?? queued;
  const decision = job.decision?.decision;
  store.jobs.removeSync(PENDING + job.id);
  if (job.status !== "held" || !decision) return job;
  // Checked again where it runs: a later job may have applied while this one waited in the queue.
  const later = decision === "approve" ? overtakenBy(store, job) : undefined;
  if (later) {
    const refused: JobRecord = { ...job, decision: undefined, message: `The approval was not carried out: job ${later.id} of the same feed has applied since, and applying this one would undo it. Cancel this job. (${job.message})` };
    saveJob(store, refused);
    return refused;
  }
  if (decision === "cancel") {
    await store.dropStaging(job.id);
    const cancelled: JobRecord = { ...job, status: "cancelled", phase: "done", finishedAt: new Date().toISOString(), message: `Cancelled by ${job.decision!.by}: ${job.message}` };
    saveJob(store, cancelled);
    return cancelled;
  }
  await store.dropStaging(job.id);
  const request = { ...(job.request as unknown as ImportRequest), jobId: job.id, approve: true, reprocess: true, resultsPath: job.resultsPath };
  return runInWorker({ mode: "import", dataDir, request });
}

/** A later job of the same feed that has applied, or is about to: a held package approved now would undo it. Dry runs change nothing. */
function overtakenBy(store: Store, job: JobRecord): JobRecord | undefined {
  const ahead = new Set(["complete", "incomplete", "queued", "running"]);
  return [...jobsOfFeedAfter(store, job.tenant, job.feed, job.id)].find((j) => ahead.has(j.status) && !j.dryRun);
}

/** Held jobs with a decision waiting to be carried out. */
export function decidedJobs(store: Store): JobRecord[] {
  const out: JobRecord[] = [];
  for (const { key } of store.jobs.getRange({ start: PENDING, end: "\x01decision\x01" })) {
    const job = loadJob(store, (key as string).slice(PENDING.length));
    if (job?.status === "held" && job.decision) out.push(job);
  }
  return out;
}
