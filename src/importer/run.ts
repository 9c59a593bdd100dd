/**
 * One import, start to finish: stage → plan → gate → apply, recorded as a
 * job. The same function serves `rosterbox validate` (dry run), `rosterbox
 * import`, and the appliance's jobs; it runs in a worker thread.
 *
 * @module
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { FileError, openSource, type FormatName, type SourceOptions } from "../formats/mod.ts";
import { appendJobEvent, loadJob, newJobId, saveJob, saveJobProgress, type JobRecord } from "../store/jobs.ts";
import { packageKey, seqKey } from "../store/keys.ts";
import { flushStore, type PackageMark, type Store } from "../store/mod.ts";
import { countActive, forgetActiveCount, keepActiveCount } from "../store/records.ts";
import { applyPlan, checkpointKey, planEntry, planWriter } from "./apply.ts";
import type { RunWriter } from "./_runs.ts";
import { countsOf, totals, type CountsByEntity } from "./counts.ts";
import { walkPlan, type PlanContext } from "./plan.ts";
import { PrintsDisagree, writeVoidLines } from "./_prints.ts";
import { ResultsWriter } from "./results.ts";
import { readResults } from "./results-read.ts";
import { stagePackage, type StagePrints } from "./stage.ts";
import { hashPackage, listPackage, readingOf } from "./_hash-thread.ts";
import { breaches, DEFAULT_THRESHOLDS, type EntityPlanCounts, type Thresholds } from "./thresholds.ts";

export interface ImportRequest {
  tenant: string;
  feed: string;
  format: FormatName;
  paths: string[];
  dryRun?: boolean;
  thresholds?: Thresholds;
  /** Apply even over a threshold (a person approved it in advance). */
  approve?: boolean;
  /** Plan and apply even when the package is identical to the last one applied; check every row (no fingerprints). */
  reprocess?: boolean;
  /** Check every row, not passing over those the feed's fingerprints say are unchanged. */
  recheck?: boolean;
  /** Where the results CSV goes; default `<data_dir>/results/<job>.csv`. */
  resultsPath?: string;
  source?: SourceOptions;
  jobId?: string;
}

export interface Progress {
  phase: "hashing" | "staging" | "planning" | "applying";
  rows: number;
  changed?: number;
}

export type ProgressHook = (p: Progress) => void;

/**
 * Runs an import as a job and returns its final record.
 *
 * @example
 * const job = await runImport(store, dataDir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: ["/tmp/b"] });
 * job.status; // "complete"
 */
export async function runImport(store: Store, dataDir: string, req: ImportRequest, progress?: ProgressHook): Promise<JobRecord> {
  const id = req.jobId ?? newJobId();
  const resultsPath = req.resultsPath ?? join(dataDir, "results", `${id}.csv`);
  mkdirSync(dirname(resultsPath), { recursive: true });
  // A job queued by the inbox already has a record: keep when it was received and where it came from.
  const queued = loadJob(store, id);
  const job: JobRecord = {
    id, tenant: req.tenant, feed: req.feed, format: req.format, paths: req.paths,
    files: [], status: "running", phase: "staging", dryRun: req.dryRun === true, rows: 0, counts: {},
    message: "", resultsPath, receivedAt: queued?.receivedAt ?? new Date().toISOString(), startedAt: new Date().toISOString(),
    request: req as unknown as Record<string, unknown>,
    ...(queued?.submission ? { submission: queued.submission } : {}),
    ...(queued?.decision ? { decision: queued.decision } : {}),
  };
  saveJob(store, job);
  const outer = progress;
  progress = tracked(store, job, outer);
  progress({ phase: "hashing", rows: 0 });
  const last = store.packages.get(packageKey(req.tenant, req.feed));
  const listing = await listPackage(req.paths);
  job.request = { ...job.request, packageBytes: listing.bytes };
  const hashing = hashPackage(listing).then((hash) => {
    job.request = { ...job.request, packageHash: hash };
    return hash;
  });
  // Its failure is reported where it is awaited.
  hashing.catch(() => {});
  // The same content has the same size: only a package that may be the last one again waits for its hash before
  // staging. Any other is staged while the hashing thread works (a mark from before sizes were kept may be either).
  // It is the last one again only read the same way, and only while nothing has changed the tenant's records since:
  // after another feed's import, the package is applied again, so that the later delivery wins.
  const mayBeIdentical = !req.reprocess && last !== undefined && last.seq === tenantSeq(store, req.tenant)
    && last.reading === readingOf(req.format, req.source) && (last.bytes === undefined || last.bytes === listing.bytes);
  if (mayBeIdentical && (await hashing) === last.hash) return finishIdentical(store, job, last.job);

  const results = new ResultsWriter(resultsPath);
  try {
    return await stageAndPlan(store, dataDir, job, req, results, { last, hashing }, progress, outer);
  } catch (err) {
    // Ended on every path, so that the thread's next job has the writer's buffers.
    results.abandon();
    throw err;
  }
}

/** The import after its package hash: stage, plan, gate, and apply or hold. */
async function stageAndPlan(
  store: Store, dataDir: string, job: JobRecord, req: ImportRequest, results: ResultsWriter,
  known: KnownPackage, progress: ProgressHook, outer: ProgressHook | undefined,
): Promise<JobRecord> {
  const { last } = known;
  const id = job.id;
  const resultsPath = job.resultsPath;
  const staging = store.staging(id);
  job.planSeq = tenantSeq(store, req.tenant);
  const prints: StagePrints = {
    ...(job.dryRun ? {} : { writeDir: printsStaging(store, id) }),
    ...(!req.reprocess && !req.recheck && last?.prints && last.prints.seq === job.planSeq
      ? { previous: { dir: store.printsDir(last.job), entities: last.prints.entities } }
      : {}),
  };
  try {
    const staged = await stagePackage(
      {
        store, staging, runsDir: store.runsDir(id), tenant: req.tenant, results, counts: job.counts, prints,
        onProgress: (rows) => progress({ phase: "staging", rows }),
      },
      (passOver) => openSource(req.format, req.paths, req.source, passOver),
    );
    job.rows = staged.rows;
    job.files = staged.files;
    job.entities = staged.entities;
    job.rejected = staged.rejected;
    job.probed = staged.probed;
    job.printed = staged.printed;
  } catch (err) {
    if (err instanceof PrintsDisagree) return recheck(store, dataDir, job, req, results, err, outer);
    if (!(err instanceof FileError)) throw err;
    results.write({ file: err.file, line: err.line, entity: "", sourcedId: "", action: "skip", status: "ERROR", message: err.message });
    results.close();
    // Rows passed over as unchanged were counted and reported as they were read: a job that failed planned nothing.
    if (totals(job.counts).unchanged > 0) {
      for (const c of Object.values(job.counts)) c.unchanged = 0;
      await dropUnchangedResults(resultsPath);
    }
    await store.dropStaging(id);
    return finish(store, job, "failed", `${err.message}. Nothing was applied.`);
  }
  // Staging reads far slower than the hash does: it is there, or nearly. The apply marks the package with it.
  await known.hashing.catch(async (err: unknown) => {
    results.abandon();
    await store.dropStaging(id);
    throw err;
  });
  progress({ phase: "planning", rows: job.rows });
  const ctx: PlanContext = planContext(store, job);
  let planCounts: Record<string, EntityPlanCounts>;
  try {
    planCounts = plan(ctx, job, results, job.dryRun ? undefined : planWriter(ctx.runsDir));
  } catch (err) {
    if (!(err instanceof PrintsDisagree)) throw err;
    return recheck(store, dataDir, job, req, results, err, outer);
  }
  results.close();

  job.held = breaches(planCounts, req.thresholds ?? DEFAULT_THRESHOLDS);
  if (job.held.length === 0) delete job.held;
  if (job.held && !req.approve) {
    job.phase = "planned";
    if (job.dryRun) await store.dropStaging(id);
    return finish(store, job, "held", `Held for approval: ${job.held.join("; ")}. Nothing was applied.`);
  }
  if (job.dryRun) {
    await store.dropStaging(id);
    return finish(store, job, outcome(job), `Dry run: ${describe(job.counts)}. Nothing was applied.`);
  }
  return applyJob(store, job, outer);
}

/**
 * Applies a staged, planned job (after approval, or resuming after a crash).
 *
 * @example await applyJob(store, loadJob(store, id)!)
 */
export async function applyJob(store: Store, job: JobRecord, progress?: ProgressHook): Promise<JobRecord> {
  job.phase = "applying";
  job.status = "running";
  // A plan applied onto records that changed since it was made (a held job approved
  // after another import) leaves a store its fingerprints and its active counts do not describe.
  if (!store.jobs.get(checkpointKey(job.id)) && tenantSeq(store, job.tenant) !== job.planSeq) {
    delete job.printed;
    job.request = { ...job.request };
    delete job.request.activeAfter;
  }
  // Until the job's end keeps them again, its entities' active counts are counted afresh when asked for:
  // an apply that fails half-way leaves them right.
  for (const entity of new Set((job.entities ?? []).map((pe) => pe.entity))) forgetActiveCount(store, job.tenant, entity);
  saveJob(store, job);
  const onProgress = tracked(store, job, progress);
  await flushStore(store);
  await applyPlan({
    store, tenant: job.tenant, runsDir: store.runsDir(job.id), jobId: job.id,
    onProgress: (changed) => onProgress({ phase: "applying", rows: job.rows, changed }),
  });
  const printed = adoptPrints(store, job);
  // The job's end, the package mark and the checkpoint's removal commit together:
  // a crash before this resumes from the checkpoint, after it finds the job done.
  setFinished(job, outcome(job), `Applied: ${describe(job.counts)}.`);
  let superseded: PackageMark | undefined;
  store.env.transactionSync(() => {
    appendJobEvent(store, job.id, job.status, { message: job.message });
    const hash = job.request.packageHash as string | undefined;
    const bytes = job.request.packageBytes as number | undefined;
    const key = packageKey(job.tenant, job.feed);
    superseded = store.packages.get(key);
    if (hash) {
      const seq = tenantSeq(store, job.tenant);
      const prints = printed.length > 0 ? { prints: { seq, entities: printed } } : {};
      const reading = readingOf(job.format, job.request.source);
      store.packages.putSync(key, { hash, job: job.id, ...(bytes !== undefined ? { bytes } : {}), reading, seq, ...prints });
    }
    const activeAfter = job.request.activeAfter as Record<string, number> | undefined;
    for (const [entity, n] of Object.entries(activeAfter ?? {})) keepActiveCount(store, job.tenant, entity, n);
    saveJob(store, job);
    store.jobs.removeSync(checkpointKey(job.id));
  });
  await flushStore(store);
  if (superseded && superseded.job !== job.id) rmSync(store.printsDir(superseded.job), { recursive: true, force: true });
  await store.dropStaging(job.id);
  return job;
}

/** Starts the import again with every row checked: the fingerprints could not be relied on. */
async function recheck(
  store: Store, dataDir: string, job: JobRecord, req: ImportRequest, results: ResultsWriter, why: PrintsDisagree, progress?: ProgressHook,
): Promise<JobRecord> {
  results.close();
  await store.dropStaging(job.id);
  appendJobEvent(store, job.id, "recheck", { message: `${why.message}: every row is checked again` });
  return runImport(store, dataDir, { ...req, jobId: job.id, resultsPath: job.resultsPath, recheck: true }, progress);
}

/** Rewrites a results file without its `unchanged` rows. */
async function dropUnchangedResults(path: string): Promise<void> {
  const kept = new ResultsWriter(`${path}.tmp`);
  for await (const row of readResults(path)) if (row.action !== "unchanged") kept.write(row);
  kept.close();
  renameSync(`${path}.tmp`, path);
}

function tenantSeq(store: Store, tenant: string): number {
  return (store.meta.get(seqKey(tenant)) as number | undefined) ?? 0;
}

/** Where a job writes its fingerprints until it is applied. */
function printsStaging(store: Store, jobId: string): string {
  return join(store.runsDir(jobId), "prints");
}

/**
 * Moves an applied job's fingerprints to where its feed's next import finds
 * them; returns the entities they cover. Done again after a crash, it finds
 * them moved.
 */
function adoptPrints(store: Store, job: JobRecord): string[] {
  const to = store.printsDir(job.id);
  if (!job.printed?.length) return [];
  const from = printsStaging(store, job.id);
  if (existsSync(from)) {
    mkdirSync(dirname(to), { recursive: true });
    rmSync(to, { recursive: true, force: true });
    renameSync(from, to);
  }
  return existsSync(to) ? job.printed : [];
}

/** Resumes a job that was `running` when the process stopped. */
export async function resumeImport(store: Store, dataDir: string, job: JobRecord, progress?: ProgressHook): Promise<JobRecord> {
  if (job.phase === "applying") return applyJob(store, job, progress);
  // Staging and planning wrote nothing to the store: start them again.
  await store.dropStaging(job.id);
  return runImport(store, dataDir, { ...(job.request as unknown as ImportRequest), jobId: job.id, resultsPath: job.resultsPath }, progress);
}

function planContext(store: Store, job: JobRecord): PlanContext {
  return {
    store, staging: store.staging(job.id), runsDir: store.runsDir(job.id), tenant: job.tenant,
    files: job.files, entities: job.entities ?? [], rejected: job.rejected ?? 0, probed: job.probed ?? [],
  };
}

/**
 * Walks the plan once: counts, the results rows, and the figures the
 * thresholds need; and lists the rows it rejected beside the job's
 * fingerprints, which took every staged row for one to be applied.
 *
 * The thresholds judge by each entity's active records as they stand
 * (tombstones are not records a file can lose again). The walk also counts
 * how many there will be once the plan is applied — creates and restores
 * add one, deletes take one — which the job's end keeps (`activeAfter`), so
 * that the next plan need not count them.
 */
function plan(ctx: PlanContext, job: JobRecord, results: ResultsWriter, changes?: RunWriter): Record<string, EntityPlanCounts> {
  const counts = job.counts;
  const printed = new Set(job.printed ?? []);
  const voids = new Map<string, number[]>();
  const out: Record<string, EntityPlanCounts> = {};
  const activeAfter: Record<string, number> = {};
  for (const pe of ctx.entities) {
    if (out[pe.entity]) continue;
    const active = countActive(ctx.store, ctx.tenant, pe.entity);
    out[pe.entity] = { existing: active, deleted: 0, updated: 0 };
    activeAfter[pe.entity] = active;
  }
  for (const a of walkPlan(ctx)) {
    const c = countsOf(counts, a.entity);
    switch (a.action) {
      case "create": c.created++; activeAfter[a.entity]!++; break;
      case "update":
        c.updated++;
        out[a.entity]!.updated++;
        if (a.before?.status === "tobedeleted") activeAfter[a.entity]!++;
        break;
      case "delete": c.deleted++; out[a.entity]!.deleted++; activeAfter[a.entity]!--; break;
      case "unchanged": c.unchanged++; break;
      case "skip":
        if (a.status === "ERROR") c.errors++;
        else c.warnings++;
        if (a.status === "ERROR" && a.line > 0 && printed.has(a.entity)) {
          const lines = voids.get(a.entity);
          if (lines) lines.push(a.line);
          else voids.set(a.entity, [a.line]);
        }
        break;
    }
    results.write({ file: a.file, line: a.line, entity: a.entity, sourcedId: a.sourcedId, action: a.action, status: a.status, message: a.message });
    if (changes && a.next) changes.add(a.key, planEntry(a));
  }
  changes?.finish();
  job.request = { ...job.request, activeAfter };
  const dir = printsStaging(ctx.store, job.id);
  for (const [entity, lines] of voids) if (existsSync(dir)) writeVoidLines(dir, entity, lines);
  return out;
}

function outcome(job: JobRecord): "complete" | "incomplete" {
  return totals(job.counts).errors > 0 ? "incomplete" : "complete";
}

function describe(counts: CountsByEntity): string {
  const t = totals(counts);
  return `${t.created} created, ${t.updated} updated, ${t.deleted} deleted, ${t.unchanged} unchanged, ${t.errors} rows rejected, ${t.warnings} warnings`;
}

/**
 * The job's own record of its progress: an event at each phase, and the
 * figures saved on the record about once a second (the web page reads them).
 */
function tracked(store: Store, job: JobRecord, next?: ProgressHook): ProgressHook {
  let phase = "";
  let saved = 0;
  return (p) => {
    const now = Date.now();
    if (p.phase !== phase) {
      phase = p.phase;
      appendJobEvent(store, job.id, p.phase, { rows: p.rows });
    }
    if (now - saved >= 1000) {
      saved = now;
      job.progress = { ...p, at: new Date(now).toISOString() };
      saveJobProgress(store, job);
    }
    next?.(p);
  };
}

function setFinished(job: JobRecord, status: JobRecord["status"], message: string): void {
  job.status = status;
  job.message = message;
  if (status !== "held") job.phase = "done";
  job.finishedAt = new Date().toISOString();
}

async function finish(store: Store, job: JobRecord, status: JobRecord["status"], message: string): Promise<JobRecord> {
  setFinished(job, status, message);
  saveJob(store, job);
  appendJobEvent(store, job.id, status, { message, ...(job.held ? { held: job.held } : {}) });
  await flushStore(store);
  return job;
}

/** The feed's last applied package's mark, and this package's hash on its way. */
interface KnownPackage {
  last: PackageMark | undefined;
  hashing: Promise<string>;
}

async function finishIdentical(store: Store, job: JobRecord, previousId: string): Promise<JobRecord> {
  const previous = loadJob(store, previousId);
  job.files = previous?.files ?? [];
  job.rows = previous?.rows ?? 0;
  for (const [entity, c] of Object.entries(previous?.counts ?? {})) {
    const mine = countsOf(job.counts, entity);
    mine.unchanged = c.created + c.updated + c.unchanged;
  }
  const results = new ResultsWriter(job.resultsPath);
  const message = `identical to the package of job ${previousId}; nothing to do`;
  results.write({ file: job.files.join(" "), line: 0, entity: "", sourcedId: "", action: "skip", status: "SUCCESS", message });
  results.close();
  return finish(store, job, "complete", `Nothing changed: this package is ${message}.`);
}
