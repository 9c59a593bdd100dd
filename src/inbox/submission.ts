/**
 * A manifest submission's life in the drop folder (CONTRACT.md, Manifest
 * submission): `X.done` is checked, claimed as `X.PROCESSING`, its files
 * copied out and queued as a job; when the job ends the manifest is removed
 * (clean import) or renamed `X.INCOMPLETE` / `X.FAILED`, the data files are
 * removed from the drop folder and the copies archived. A manifest that
 * cannot be used is renamed `X.INVALIDSCHEMA`, `X.CONTAINSINVALIDFILES`
 * (with `INVALID="reason"` on each bad file) or `X.IMPORTCONFIGMISSING`.
 *
 * Every step is a rename or a copy that a restart can repeat: the job
 * record says how far a submission got.
 *
 * @module
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Feed } from "../config/mod.ts";
import type { FormatName } from "../formats/mod.ts";
import { appendJobEvent, loadJob, newJobId, saveJob, type JobRecord, type SubmissionRecord } from "../store/jobs.ts";
import type { Store } from "../store/mod.ts";
import { parseThreshold } from "./_feed.ts";
import { archiveDir, incomingDir, resultsDir } from "./droptree.ts";
import { checkManifestFiles, ManifestSchemaError, markInvalid, MAX_MANIFEST_BYTES, parseManifest } from "./manifest.ts";
import { parseSubmissionName, uniqueName } from "./naming.ts";

export type ManifestState = "PROCESSING" | "INVALIDSCHEMA" | "CONTAINSINVALIDFILES" | "IMPORTCONFIGMISSING" | "INCOMPLETE" | "FAILED";

export interface TakeContext {
  store: Store;
  dataDir: string;
  tenant: string;
  /** The feed of the folder, undefined when the folder has none. */
  feed: Feed | undefined;
  /** How long a manifest may wait for data files listed but not there yet. */
  waitMs: number;
  /** When this manifest was first seen. */
  firstSeen: number;
  now?: number;
}

export type TakeOutcome =
  | { state: "waiting" }
  | { state: Exclude<ManifestState, "PROCESSING" | "INCOMPLETE" | "FAILED">; message: string }
  | { state: "queued"; job: JobRecord };

/** `X.done` → `X.<state>`. */
function renameManifest(folder: string, from: string, base: string, state: ManifestState): void {
  renameSync(join(folder, from), join(folder, `${base}.${state}`));
}

/**
 * Looks at `<folder>/<name>` (a `.done` file) and moves it on: waiting for
 * its files, refused with a state, or claimed and queued as a job.
 *
 * @example const outcome = await takeManifest("/data/tenants/strata/OneRoster", "nightly.done", ctx);
 */
export async function takeManifest(folder: string, name: string, ctx: TakeContext): Promise<TakeOutcome> {
  const base = name.slice(0, -".done".length);
  if (!ctx.feed) {
    renameManifest(folder, name, base, "IMPORTCONFIGMISSING");
    return { state: "IMPORTCONFIGMISSING", message: `no feed is configured for the folder of ${name}` };
  }
  const size = statSync(join(folder, name)).size;
  let manifest;
  try {
    if (size > MAX_MANIFEST_BYTES) throw new ManifestSchemaError(name, 0, `is larger than ${MAX_MANIFEST_BYTES} bytes; a manifest lists files`);
    manifest = parseManifest(readFileSync(join(folder, name), "utf8"), name);
  } catch (err) {
    if (!(err instanceof ManifestSchemaError)) throw err;
    renameManifest(folder, name, base, "INVALIDSCHEMA");
    return { state: "INVALIDSCHEMA", message: err.message };
  }
  const invalid = await checkManifestFiles(folder, manifest);
  const onlyMissing = invalid.size > 0 && [...invalid.values()].every((why) => why === "not in the folder");
  if (onlyMissing && (ctx.now ?? Date.now()) - ctx.firstSeen < ctx.waitMs) return { state: "waiting" };
  if (invalid.size > 0) {
    const text = readFileSync(join(folder, name), "utf8");
    writeFileSync(join(folder, `.${base}.tmp`), markInvalid(text, manifest, invalid));
    renameSync(join(folder, `.${base}.tmp`), join(folder, `${base}.CONTAINSINVALIDFILES`));
    rmSync(join(folder, name), { force: true });
    const message = [...invalid].map(([i, why]) => `${manifest.files[i]!.name}: ${why}`).join("; ");
    return { state: "CONTAINSINVALIDFILES", message };
  }
  return { state: "queued", job: queueFiles(folder, manifest.files.map((f) => f.name), base, ctx) };
}

/**
 * A file on a share that has been quiet for the feed's `quiet_seconds`: a
 * submission of its own.
 *
 * @example const outcome = takeQuietFile("/mnt/sis-share", "strata_2026_11_24.xml", ctx);
 */
export function takeQuietFile(folder: string, name: string, ctx: TakeContext): TakeOutcome {
  if (!ctx.feed) return { state: "IMPORTCONFIGMISSING", message: `no feed is configured for the folder of ${name}` };
  return { state: "queued", job: queueFiles(folder, [name], undefined, ctx) };
}

/**
 * Files uploaded through the web page or the API, already complete in
 * `folder` (a private folder of the upload): one submission, as a drop of
 * the same files with a manifest would be. Several loose files of a
 * OneRoster feed are one bundle; `dryRun` plans without applying.
 *
 * @example const outcome = takeUpload("/data/uploads/x1", ["users.csv", "manifest.csv"], ctx, { dryRun: true });
 */
export function takeUpload(folder: string, files: string[], ctx: TakeContext, opts: { dryRun: boolean }): TakeOutcome {
  if (!ctx.feed) return { state: "IMPORTCONFIGMISSING", message: "no feed is configured for this folder" };
  const bundle = ctx.feed.format === "oneroster-csv" && !(files.length === 1 && /\.zip$/i.test(files[0]!));
  return { state: "queued", job: queueFiles(folder, files, undefined, ctx, { dryRun: opts.dryRun, bundle }) };
}

/**
 * Copies first, then the job record, then the claim: a restart after any
 * step either takes the submission afresh or finds the job (see
 * {@link claimSubmission}).
 */
function queueFiles(folder: string, files: string[], manifest: string | undefined, ctx: TakeContext, opts: { dryRun?: boolean; bundle?: boolean } = {}): JobRecord {
  const id = newJobId();
  const copies = incomingDir(ctx.dataDir, id);
  mkdirSync(copies, { recursive: true });
  const stored = files.map((file) => storedName(ctx, file));
  const stamps = files.map((file) => stampOf(join(folder, file)) ?? "");
  files.forEach((file, i) => copyFileSync(join(folder, file), join(copies, stored[i]!)));
  const feed = ctx.feed!;
  const format = feed.format as FormatName;
  const resultsPath = join(ctx.dataDir, "results", `${id}.csv`);
  const job: JobRecord = {
    id, tenant: ctx.tenant, feed: feed.folder, format, paths: [], files: stored, status: "queued", phase: "staging", dryRun: opts.dryRun === true,
    rows: 0, counts: {}, message: "", resultsPath, receivedAt: new Date().toISOString(),
    request: {
      tenant: ctx.tenant, feed: feed.folder, format,
      // A OneRoster bundle of loose files is the folder of copies; anything else is read file by file (a .zip is a bundle).
      paths: format === "oneroster-csv" && (manifest !== undefined || opts.bundle) ? [copies] : stored.map((f) => join(copies, f)),
      ...(opts.dryRun ? { dryRun: true } : {}),
      thresholds: parseThreshold(feed),
      source: feed.format === "delimited" ? { delimited: { entity: feed.entity!, delimiter: feed.delimiter, quote: feed.quote, mode: feed.mode, fields: feed.fields ?? [] } } : undefined,
      jobId: id,
      resultsPath,
    },
    submission: { folder, ...(manifest !== undefined ? { manifest } : {}), files, stamps },
  };
  saveJob(ctx.store, job);
  appendJobEvent(ctx.store, id, "queued", { folder, files, ...(manifest !== undefined ? { manifest: `${manifest}.done` } : {}) });
  claimSubmission(job);
  return job;
}

/**
 * The name a dated submission file (`strata_2026_11_24.txt`) is kept
 * under: as it is the first time, then `…(2).txt`, `(3)`… for the same name
 * received again (CONTRACT.md). Other names are kept as they are.
 */
function storedName(ctx: TakeContext, file: string): string {
  if (!parseSubmissionName(file)) return file;
  const key = (name: string) => `received\x00${ctx.tenant}\x00${name}`;
  const name = uniqueName(file, (candidate) => ctx.store.meta.get(key(candidate)) !== undefined);
  ctx.store.meta.putSync(key(name), new Date().toISOString());
  return name;
}

/**
 * Takes a queued job's submission out of the scanner's sight (again, after
 * a restart that came between the job's record and this): `X.done` →
 * `X.PROCESSING`, or a quiet file removed from its share (its copy is safe
 * in `incoming/`).
 *
 * @example claimSubmission(job)
 */
export function claimSubmission(job: JobRecord): void {
  const sub = job.submission;
  if (!sub) return;
  try {
    if (sub.manifest !== undefined) renameSync(join(sub.folder, `${sub.manifest}.done`), join(sub.folder, `${sub.manifest}.PROCESSING`));
    else removeSubmitted(sub);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/** A file's identity and version: a new upload of the same name (a new inode, or the same one rewritten) differs. */
function stampOf(path: string): string | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  return st && `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/**
 * Removes the submission's files from its folder, each only if it is still
 * the file that was copied: the SIS may have uploaded tomorrow's `users.csv`
 * while today's job ran, and that one belongs to the next submission.
 */
function removeSubmitted(sub: SubmissionRecord): void {
  sub.files.forEach((file, i) => {
    const path = join(sub.folder, file);
    const stamp = sub.stamps?.[i];
    if (stamp === undefined || stampOf(path) === stamp) rmSync(path, { force: true });
  });
}

/**
 * After a job ends: the manifest's end state, the data files out of the drop
 * folder, the results into the tenant's `results/`, the copies archived.
 * Repeatable: a restart after a crash in the middle does the rest.
 *
 * @example finalizeSubmission(store, dataDir, job)
 */
export function finalizeSubmission(store: Store, dataDir: string, job: JobRecord): void {
  const sub = job.submission;
  if (!sub || sub.finalized || job.status === "held" || job.status === "queued" || job.status === "running") return;
  const processing = join(sub.folder, `${sub.manifest}.PROCESSING`);
  const results = resultsDir(dataDir, job.tenant);
  mkdirSync(results, { recursive: true });
  // Moved (one rename, same filesystem) into the tenant's results/, where SFTP users read it.
  const published = join(results, `${job.id}.csv`);
  try {
    renameSync(job.resultsPath, published);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  removeSubmitted(sub);
  const state = job.status === "complete" ? undefined : job.status === "incomplete" ? "INCOMPLETE" : "FAILED";
  try {
    if (sub.manifest !== undefined) {
      if (state) renameSync(processing, join(sub.folder, `${sub.manifest}.${state}`));
      else rmSync(processing, { force: true });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const archive = archiveDir(dataDir, job.tenant);
  mkdirSync(archive, { recursive: true });
  try {
    renameSync(incomingDir(dataDir, job.id), join(archive, job.id));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const latest = loadJob(store, job.id) ?? job;
  saveJob(store, { ...latest, resultsPath: published, submission: { ...sub, finalized: true } });
}
