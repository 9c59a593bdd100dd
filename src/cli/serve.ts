/**
 * `rosterbox serve --config FILE`: the appliance. It takes submissions from
 * the tenants' drop folders (SFTP or local), watched shares and the web
 * page, runs them as jobs (one at a time per tenant, in order received),
 * moves each manifest to its end state, and serves the status page and API.
 *
 * Crash-safe by construction: a job interrupted at any point is resumed at
 * start, a submission whose job ended but whose files were not yet tidied is
 * tidied, and SIGTERM simply stops (the apply's checkpoint is the state).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { ConfigError, loadConfig, parseConfig, type Config } from "../config/mod.ts";
import { DEFAULT_CONFIG } from "../config/default.ts";
import { withDefaultSecrets } from "../config/first-start.ts";
import { archiveDir, ensureDropTree } from "../inbox/droptree.ts";
import { pruneOlderThan } from "../inbox/retention.ts";
import { claimSubmission, finalizeSubmission } from "../inbox/submission.ts";
import { DropScanner } from "../intake/scanner.ts";
import { startSftpServer } from "../intake/sftp/mod.ts";
import { carryOutDecision, decidedJobs } from "../jobs/decide.ts";
import { attemptJob, failStoppedJob, JOB_ATTEMPTS } from "../jobs/attempts.ts";
import { JobQueue } from "../jobs/queue.ts";
import { runInWorker } from "../jobs/worker.ts";
import { log } from "../log.ts";
import { scheduled } from "./_cron.ts";
import { allJobs, type JobRecord } from "../store/jobs.ts";
import { ensureJobIndex } from "../store/job-index.ts";
import { appendAudit } from "../store/audit.ts";
import { Metrics, pruneSessions, startWebServer } from "../web/mod.ts";
import { newExportJob, pruneExportFiles } from "../exporter/mod.ts";
import { lockDataDir } from "../store/lock.ts";
import { openStore, type Store } from "../store/mod.ts";

/**
 * Runs the appliance until SIGTERM or SIGINT.
 *
 * @example await serveCommand(["--config", "/etc/rosterbox/rosterbox.yaml"])
 */
export async function serveCommand(argv: string[]): Promise<number> {
  let config: Config;
  try {
    const { values } = parseArgs({ args: argv, options: { config: { type: "string" } } });
    if (values.config) config = loadConfig(values.config);
    else {
      // npm start: the embedded default, with its data in the current folder.
      config = parseConfig(DEFAULT_CONFIG, join(process.cwd(), "rosterbox.yaml"), process.env);
      const shown = await withDefaultSecrets(config);
      log("info", "config", { message: "no --config: running on the embedded default", data_dir: config.data_dir, drop: join(config.data_dir, "tenants", "demo", "OneRoster") });
      if (shown) {
        process.stderr.write(`\nFirst start: passwords generated for the embedded default (shown once, stored only as hashes):\n  web user     admin     ${shown.admin}\n  SFTP user    demo-sis  ${shown.sftp}\n\n`);
      }
    }
  } catch (err) {
    process.stderr.write(`rosterbox serve: ${err instanceof ConfigError ? `the config has problems; nothing was started\n${err.message}` : (err as Error).message}\n`);
    return 2;
  }
  let release: () => void;
  try {
    release = lockDataDir(config.data_dir);
  } catch (err) {
    process.stderr.write(`rosterbox serve: ${(err as Error).message}\n`);
    return 2;
  }
  ensureDropTree(config);
  const store = openStore(config.data_dir);
  ensureJobIndex(store);
  const metrics = new Metrics();
  const queue = new JobQueue<JobRecord>(config.jobs?.parallel ?? 2, (job) => runJob(store, config, job, metrics), (job, err) =>
    log("error", "job", { id: job.id, tenant: job.tenant, message: `stopped; it resumes at the next start: ${(err as Error).message}` }));
  recover(store, config, queue);
  const scanner = new DropScanner({
    config, store, waitMs: (config.jobs?.manifest_wait_seconds ?? 60) * 1000,
    onOutcome: (tenant, where, outcome) => {
      if (outcome.state === "queued") {
        log("info", "job", { id: outcome.job.id, tenant, feed: outcome.job.feed, status: "queued", manifest: where, files: outcome.job.files });
        queue.add(outcome.job);
      } else if (outcome.state !== "waiting") log("warn", "manifest", { tenant, manifest: where, state: outcome.state, message: outcome.message });
    },
    onProblem: (tenant, message) => log("warn", "drop", { tenant, message }),
  });
  scanner.start();
  const sftp = config.sftp?.listen ? await startSftpServer(config, (event, fields) => {
    log(event.endsWith("failed") || event.endsWith("denied") || event.endsWith("error") ? "warn" : "info", event, fields);
    metrics.sftpEvent(event, fields);
    // Security events are kept for the status page; transfers are in the log only.
    if (event !== "sftp.upload" && event !== "sftp.download" && event !== "sftp.idle" && event !== "sftp.throttled") appendAudit(store, event, fields);
  }) : undefined;
  if (sftp) log("info", "sftp", { listen: config.sftp!.listen, port: sftp.port, host_keys: sftp.fingerprints });
  const web = config.http?.listen ? await startWebServer(config.http.listen, {
    config, store, metrics, hostKeys: sftp?.fingerprints ?? [], maxUploadBytes: config.http.max_upload_bytes,
    queued: (job) => {
      log("info", "job", { id: job.id, tenant: job.tenant, feed: job.feed, status: "queued", via: "web", files: job.files, dryRun: job.dryRun });
      queue.add(job);
    },
  }) : undefined;
  if (web) log("info", "http", { listen: config.http!.listen, port: web.port });
  // Decisions recorded by `rosterbox jobs approve|cancel` while we hold the data directory.
  const taken = new Set<string>();
  const decisions = setInterval(() => {
    for (const job of decidedJobs(store)) {
      if (taken.has(job.id)) continue;
      taken.add(job.id);
      queue.add(job);
    }
  }, 1000);
  const retention = scheduled(config.retention?.schedule ?? "0 3 * * *", config.time_zone, () => {
    const days = config.retention?.archive_days ?? 60;
    for (const t of config.tenants) {
      const removed = pruneOlderThan(archiveDir(config.data_dir, t.id), days);
      if (removed.length) log("info", "retention", { tenant: t.id, removed: removed.length, archive_days: days });
    }
    for (const t of config.tenants) {
      for (const e of t.exports ?? []) {
        const removed = pruneExportFiles(store, config.data_dir, t.id, e);
        if (removed.length) log("info", "retention", { tenant: t.id, export: e.name, removed, retention_days: e.retention_days ?? 28 });
      }
    }
    pruneSessions(store);
  }, (message) => log("error", "retention", { message: `the retention run failed; it runs again at its next time: ${message}` }));
  // Scheduled exports queue behind the tenant's imports, so a run sees whole jobs only.
  const schedules = config.tenants.flatMap((t) => (t.exports ?? []).filter((e) => e.schedule).map((e) =>
    scheduled(e.schedule!, config.time_zone, () => {
      const job = newExportJob(store, { tenant: t.id, profile: e, timeZone: config.time_zone }, "schedule");
      log("info", "job", { id: job.id, tenant: t.id, feed: job.feed, status: "queued", via: "schedule" });
      queue.add(job);
    }, (message) => log("error", "export", { tenant: t.id, export: e.name, message: `the scheduled export could not be queued; it runs again at its next time: ${message}` }))));
  log("info", "ready", { data_dir: config.data_dir, tenants: config.tenants.map((t) => t.id) });
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  scanner.stop();
  void sftp?.close();
  void web?.close();
  clearInterval(decisions);
  retention.stop();
  for (const s of schedules) s.stop();
  queue.stop();
  log("info", "stopping", { running: config.tenants.filter((t) => queue.busy(t.id)).map((t) => t.id) });
  // A running import is checkpointed batch by batch: it resumes at the next start.
  release();
  process.exit(0);
}

async function runJob(store: Store, config: Config, job: JobRecord, metrics: Metrics): Promise<void> {
  if (job.status === "held") {
    const decided = await carryOutDecision(store, config.data_dir, job);
    metrics.jobEnded(decided);
    // The end is logged once the submission is tidied: whoever reads "complete" finds the results published.
    try {
      finalizeSubmission(store, config.data_dir, decided);
    } finally {
      logEnd(decided, { decision: job.decision });
    }
    return;
  }
  const ended = await attemptJob({
    run: (attempt) => {
      const resume = attempt > 1 || job.status === "running";
      log("info", "job", { id: job.id, tenant: job.tenant, feed: job.feed, status: "running", resumed: resume, ...(attempt > 1 ? { attempt } : {}) });
      // An export interrupted by a crash simply runs again: its file appears only when whole, its cursor moves after.
      if (job.kind === "export") return runInWorker({ mode: "export", dataDir: config.data_dir, jobId: job.id });
      return resume
        ? runInWorker({ mode: "resume", dataDir: config.data_dir, jobId: job.id })
        : runInWorker({ mode: "import", dataDir: config.data_dir, request: job.request as never });
    },
    retrying: (err, attempt) => log("error", "job", { id: job.id, tenant: job.tenant, message: `stopped (attempt ${attempt} of ${JOB_ATTEMPTS}); it resumes now, before the tenant's next job: ${err.message}` }),
  });
  const done = ended instanceof Error ? await failStoppedJob(store, job.id, ended) : ended;
  if (!done) throw ended;
  metrics.jobEnded(done);
  try {
    finalizeSubmission(store, config.data_dir, done);
  } finally {
    logEnd(done);
  }
}

/** A job's end, one JSON line (a failure as a warning). */
function logEnd(job: JobRecord, extra: Record<string, unknown> = {}): void {
  log(job.status === "failed" ? "warn" : "info", "job", {
    id: job.id, tenant: job.tenant, feed: job.feed, status: job.status, rows: job.rows, counts: job.counts, message: job.message, ...extra,
  });
}

/** Jobs left by the last run: queued ones go back in line, interrupted ones resume, ended ones are tidied. */
function recover(store: Store, config: Config, queue: JobQueue<JobRecord>): void {
  for (const job of allJobs(store)) {
    if (job.status === "queued" || job.status === "running") {
      claimSubmission(job);
      queue.add(job);
    }
    else if (job.status !== "held" && job.submission && !job.submission.finalized) {
      // It ended as the last run stopped: its end may never have reached the log.
      finalizeSubmission(store, config.data_dir, job);
      logEnd(job, { recovered: true });
    }
  }
}
