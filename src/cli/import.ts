/**
 * `rosterbox validate` and `rosterbox import`: one engine, two defaults.
 * validate is a dry run against an empty (or a given) store; import applies.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { FORMATS, type DelimitedFeed, type FormatName } from "../formats/mod.ts";
import type { ImportRequest, Progress } from "../importer/run.ts";
import { DEFAULT_THRESHOLDS, parseLimit, type Thresholds } from "../importer/thresholds.ts";
import { runInWorker } from "../jobs/worker.ts";
import { openStore, stagedJobIds, type Store } from "../store/mod.ts";
import { loadJob, unfinishedJobs } from "../store/jobs.ts";
import { lockDataDir } from "../store/lock.ts";
import { exitCode, printSummary, type Summary } from "./_summary.ts";

const OPTIONS = {
  format: { type: "string" },
  "data-dir": { type: "string" },
  tenant: { type: "string" },
  feed: { type: "string" },
  results: { type: "string" },
  mapping: { type: "string" },
  json: { type: "boolean" },
  "dry-run": { type: "boolean" },
  "change-threshold": { type: "string" },
  "update-threshold": { type: "string" },
  approve: { type: "boolean" },
  reprocess: { type: "boolean" },
} as const;

/**
 * Runs validate (`dryRun: true`) or import; returns the exit code.
 *
 * @example await importCommand(["--format", "oneroster-csv", "bundle/"], { dryRun: true }) // 0
 */
export async function importCommand(argv: string[], defaults: { dryRun: boolean }): Promise<number> {
  const name = defaults.dryRun ? "validate" : "import";
  let args;
  try {
    args = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (err) {
    return usage(name, (err as Error).message);
  }
  const o = args.values;
  const format = o.format as FormatName | undefined;
  if (!format || !FORMATS.includes(format)) return usage(name, `--format must be one of ${FORMATS.join(", ")}`);
  if (args.positionals.length === 0) return usage(name, "give the files or folder to read");
  if (!defaults.dryRun && (!o["data-dir"] || !o.tenant)) return usage(name, "--data-dir and --tenant are required");
  let request: ImportRequest;
  try {
    request = {
      tenant: o.tenant ?? "validate",
      feed: o.feed ?? format,
      format,
      paths: args.positionals.map((p) => resolve(p)),
      dryRun: defaults.dryRun || o["dry-run"] === true,
      thresholds: thresholds(o["change-threshold"], o["update-threshold"]),
      approve: o.approve === true,
      reprocess: o.reprocess === true || defaults.dryRun,
      source: o.mapping ? { delimited: readMapping(o.mapping) } : undefined,
      resultsPath: o.results ? resolve(o.results) : undefined,
    };
  } catch (err) {
    return usage(name, (err as Error).message);
  }
  const scratch = o["data-dir"] ? undefined : mkdtempSync(join(tmpdir(), "rosterbox-validate-"));
  const dataDir = resolve(o["data-dir"] ?? scratch!);
  let release: () => void;
  try {
    release = lockDataDir(dataDir);
  } catch (err) {
    process.stderr.write(`rosterbox ${name}: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    if (!request.dryRun) await resumeUnfinished(dataDir, o.json === true);
    const progress = progressLine();
    let job;
    try {
      job = await runInWorker({ mode: "import", dataDir, request }, progress.update);
    } catch (err) {
      progress.done();
      process.stderr.write(`rosterbox ${name}: the import stopped and will resume on the next import: ${(err as Error).message}\n`);
      return 2;
    }
    progress.done();
    const summary: Summary = { status: job.status, rows: job.rows, counts: job.counts, results: o.results || !scratch ? job.resultsPath : null, job: job.id, message: job.message };
    printSummary(summary, o.json === true);
    return exitCode(job.status);
  } finally {
    release();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * An interrupted earlier import finishes first, so that order of arrival
 * holds; staging left behind by jobs that ended is removed.
 */
async function resumeUnfinished(dataDir: string, quiet: boolean): Promise<void> {
  const store = openStore(dataDir);
  const jobs = unfinishedJobs(store);
  await dropLeftovers(store);
  await store.close();
  for (const job of jobs) {
    if (!quiet) process.stderr.write(`resuming interrupted job ${job.id} (${job.phase})\n`);
    await runInWorker({ mode: "resume", dataDir, jobId: job.id });
  }
}

async function dropLeftovers(store: Store): Promise<void> {
  for (const id of stagedJobIds(store)) {
    const status = loadJob(store, id)?.status;
    if (status !== "running" && status !== "held") await store.dropStaging(id);
  }
}

function thresholds(deletes?: string, updates?: string): Thresholds {
  return {
    deletes: deletes ? parseLimit(deletes) : DEFAULT_THRESHOLDS.deletes,
    updates: updates ? parseLimit(updates) : DEFAULT_THRESHOLDS.updates,
  };
}

function readMapping(path: string): DelimitedFeed {
  const doc = parseYaml(readFileSync(path, "utf8")) as Partial<DelimitedFeed> | null;
  if (!doc || typeof doc.entity !== "string" || !Array.isArray(doc.fields)) {
    throw new Error(`${path}: a mapping file needs "entity" and a "fields" list (as a delimited feed in the config)`);
  }
  return doc as DelimitedFeed;
}

function usage(name: string, message: string): number {
  process.stderr.write(`rosterbox ${name}: ${message}\nSee rosterbox --help.\n`);
  return 2;
}

/** A progress line on a terminal (stderr), at most 4 updates a second; silent otherwise. */
function progressLine(): { update: (p: Progress) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, done: () => {} };
  const start = Date.now();
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      const rate = Math.round(p.rows / Math.max(0.001, (now - start) / 1000));
      const extra = p.changed !== undefined ? `, ${p.changed.toLocaleString("en-US")} changed` : "";
      process.stderr.write(`\r\x1b[K${p.phase}: ${p.rows.toLocaleString("en-US")} rows${extra} (${rate.toLocaleString("en-US")} rows/s)`);
    },
    done() {
      process.stderr.write("\r\x1b[K");
    },
  };
}
