/**
 * One export run, as a job: records read (all, changed since the cursor, or
 * one test record), mapped through the profile's fields, written as CSV into
 * the tenant's `exports/` under a hidden name and renamed when complete; the
 * delta cursor moves only after that. A row the mapping refuses (a code with
 * no mapping and no default) is skipped and listed in the job's results.
 *
 * A crash after the rename but before the cursor is saved sends the same
 * changes again next time: a receiving system may see a record twice, never
 * miss one.
 *
 * @module
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import type { ExportProfile } from "../config/mod.ts";
import { tenantRoot } from "../inbox/droptree.ts";
import { ResultsWriter } from "../importer/results.ts";
import { compileMapping } from "../mapping/mod.ts";
import { recordRange, seqKey } from "../store/keys.ts";
import { appendJobEvent, newJobId, saveJob, type JobRecord } from "../store/jobs.ts";
import type { Store } from "../store/mod.ts";
import { decodeBody, decodeRecord } from "../store/record.ts";
import { AtomicFile, csvLine, csvStyle, dateTokens, fillPattern, freeName, type Tokens } from "./_file.ts";
import { planByteExport } from "./_bytes.ts";
import { forEachExportRecord, type Selection } from "./_source.ts";
import { exportOneRoster } from "./oneroster.ts";

/** What a queued export job needs to run, kept on its record. */
export interface ExportRequest {
  tenant: string;
  profile: ExportProfile;
  timeZone?: string;
  /** A test export of this one record: its own file, the cursor untouched. */
  testRecord?: string;
}

// Unit separators, not NUL: lmdb's key encoding reads a NUL-separated string back as an array.
const cursorKey = (tenant: string, name: string) => `exportCursor\x1f${tenant}\x1f${name}`;
const writtenKey = (tenant: string, name: string, file: string) => `exportFile\x1f${tenant}\x1f${name}\x1f${file}`;

/** The change sequence a delta export has covered (0: never ran). */
export function exportCursor(store: Store, tenant: string, name: string): number {
  return (store.meta.get(cursorKey(tenant, name)) as number | undefined) ?? 0;
}

/**
 * A queued job for an export run.
 *
 * @example const job = newExportJob(store, { tenant: "strata", profile, timeZone: config.time_zone }, "schedule");
 */
export function newExportJob(store: Store, req: ExportRequest, by: string): JobRecord {
  const id = newJobId();
  const job: JobRecord = {
    id, tenant: req.tenant, feed: `exports/${req.profile.name}`, format: "export", kind: "export", paths: [], files: [], status: "queued", phase: "staging",
    dryRun: false, rows: 0, counts: {}, message: "", resultsPath: "", receivedAt: new Date().toISOString(), request: req as unknown as Record<string, unknown>,
  };
  saveJob(store, job);
  appendJobEvent(store, id, "queued", { export: req.profile.name, by, ...(req.testRecord ? { testRecord: req.testRecord } : {}) });
  return job;
}

/** The school year (OneRoster's ending year) of `today`: the store's schoolYear session covering it, else July to June. */
export function schoolYearOf(store: Store, tenant: string, today: string): string {
  for (const { value } of store.records.getRange(recordRange(tenant, "academicSessions"))) {
    const r = decodeRecord(value);
    if (r.status !== "active") continue;
    const s = decodeBody(r.body);
    if (s.type === "schoolYear" && s.startDate && s.endDate && s.startDate <= today && today <= s.endDate && s.schoolYear) return s.schoolYear;
  }
  const [y, m] = today.split("-").map(Number) as [number, number];
  return String(m >= 7 ? y + 1 : y);
}

/** The tokens of names and folders for a run at `now`. */
export function nameTokens(store: Store, req: ExportRequest, now: Date): Tokens {
  const t = dateTokens(now, req.timeZone);
  return { ...t, schoolYear: schoolYearOf(store, req.tenant, `${t.YYYY}-${t.MM}-${t.DD}`), tenant: req.tenant, export: req.profile.name };
}

/**
 * Runs a queued export job to its end.
 *
 * @example const done = await runExportJob(store, config.data_dir, job);
 */
export async function runExportJob(store: Store, dataDir: string, queued: JobRecord, now = new Date()): Promise<JobRecord> {
  const req = queued.request as unknown as ExportRequest;
  const p = req.profile;
  let job: JobRecord = { ...queued, status: "running", startedAt: new Date().toISOString() };
  saveJob(store, job);
  appendJobEvent(store, job.id, "running", {});
  const root = tenantRoot(dataDir, req.tenant);
  const tokens = nameTokens(store, req, now);
  const folder = join(root, fillPattern(p.folder ?? "exports", tokens));
  mkdirSync(folder, { recursive: true });
  const upTo = (store.meta.get(seqKey(req.tenant)) as number | undefined) ?? 0;
  const from = exportCursor(store, req.tenant, p.name);
  const delta = p.delta === true && !req.testRecord;
  try {
    const outcome: Outcome = (p.format ?? "mapped") === "oneroster-csv"
      ? exportOneRoster(store, req.tenant, folder, p, tokens, delta ? { after: from, upTo } : undefined)
      : exportMapped(store, dataDir, job, folder, tokens, delta ? { kind: "delta", after: from, upTo } : req.testRecord ? { kind: "one", sourcedId: req.testRecord } : { kind: "all" });
    // Marked for retention as soon as it is there: a push that fails leaves the file in exports/,
    // and marked only after the push, it was never pruned. (A test record's file is kept until removed.)
    if (outcome.file && !req.testRecord) store.meta.putSync(writtenKey(req.tenant, p.name, outcome.file), Date.now());
    // The receiving system has the file (in exports/, and on its server when pushed) before the cursor moves.
    const pushed = outcome.file && p.push ? await pushOrExplain(outcome.file, p) : undefined;
    if (delta && outcome.file) store.meta.putSync(cursorKey(req.tenant, p.name), upTo);
    const file = outcome.file ? relative(root, outcome.file) : null;
    const message = req.testRecord && outcome.rows === 0 ? `no ${p.entity} record "${req.testRecord}"; nothing written`
      : file === null ? `nothing changed since the last export (change ${from}); no file written`
      : `${outcome.rows} rows written to ${file}${pushed ? ` and sent to ${p.push!.host}:${pushed}` : ""}${outcome.skipped ? `; ${outcome.skipped} rows skipped (see the results)` : ""}`;
    job = {
      ...job, status: outcome.skipped > 0 ? "incomplete" : "complete", phase: "done", finishedAt: new Date().toISOString(), message,
      rows: outcome.rows + outcome.skipped, files: file ? [file] : [], resultsPath: outcome.resultsPath ?? "",
      counts: { [p.entity ?? "bundle"]: { created: outcome.rows, updated: 0, deleted: 0, unchanged: 0, errors: outcome.skipped, warnings: 0 } },
      exported: { name: p.name, file, rows: outcome.rows, bytes: outcome.bytes, fromSeq: from, toSeq: delta ? upTo : from, ...(req.testRecord ? { test: req.testRecord } : {}) },
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOSPC" || e.code === "EFBIG" || e.code === "EDQUOT" ? `the disk is full (${e.code})` : e.message;
    const left = /the file stays in exports/.test(why) ? "" : "; no file was left and the cursor did not move";
    job = { ...job, status: "failed", phase: "done", finishedAt: new Date().toISOString(), message: `export ${p.name} failed: ${why}${left}` };
  }
  saveJob(store, job);
  appendJobEvent(store, job.id, job.status, { message: job.message });
  return job;
}

/** Pushes a committed file; on failure the job fails with the reason, the file stays in exports/ and the cursor stays. */
async function pushOrExplain(file: string, p: ExportProfile): Promise<string> {
  if ((p.format ?? "mapped") === "oneroster-csv") throw new Error("push sends files; a oneroster-csv export is a folder: collect it over SFTP instead");
  try {
    // Loaded only for a push: ssh2 is a large part of a plain export's start-up.
    const { pushFile } = await import("./push.ts");
    return await pushFile(file, p.push!);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the file stays in exports/, and the next run sends these changes again`);
  }
}

interface Outcome {
  file: string | null;
  rows: number;
  skipped: number;
  bytes: number;
  resultsPath?: string;
}

function exportMapped(store: Store, dataDir: string, job: JobRecord, folder: string, tokens: Tokens, selection: Selection): Outcome {
  const req = job.request as unknown as ExportRequest;
  const p = req.profile;
  const mapping = compileMapping(p.fields ?? [], `exports.${p.name}.fields`);
  const style = csvStyle(p.file);
  const test = req.testRecord ? `_test_${req.testRecord.replace(/[^A-Za-z0-9._-]/g, "_")}` : "";
  const base = fillPattern(p.file?.name ?? (p.overwrite ? p.name : `${p.name}_{YYYY}{MM}{DD}`), tokens) + test;
  const extension = p.file?.extension ?? "csv";
  const name = p.overwrite && !test ? `${base}.${extension}` : freeName(folder, base, extension);
  const out = new AtomicFile(join(folder, name));
  let results: ResultsWriter | undefined;
  let rows = 0;
  let skipped = 0;
  try {
    if (style.bom) out.write("\uFEFF");
    if (style.header) out.write(csvLine(mapping.targets, style));
    const skip = (sourcedId: string, errors: string[]) => {
      if (!results) {
        mkdirSync(join(tenantRoot(dataDir, req.tenant), "results"), { recursive: true });
        results = new ResultsWriter(join(tenantRoot(dataDir, req.tenant), "results", `${job.id}.csv`));
      }
      results.write({ file: name, line: 0, entity: p.entity!, sourcedId, action: "skip", status: "ERROR", message: errors.join("; ") });
      skipped++;
    };
    // A full export reads and writes bytes (_bytes.ts); a delta, a test record or a profile it does not cover, strings.
    const bytePath = selection.kind === "all" ? planByteExport(store, req.tenant, p.entity!, mapping, p.where ?? {}, style) : undefined;
    if (bytePath) rows = bytePath.run(out, skip);
    else {
      const line: string[] = new Array(mapping.targets.length);
      forEachExportRecord(store, req.tenant, p.entity!, mapping.sources, p.where ?? {}, selection, (r) => {
        const errors = mapping.applyInto(r.values, line);
        if (errors) return skip(r.sourcedId, errors);
        out.write(csvLine(line, style));
        rows++;
      });
    }
    if (rows === 0 && skipped === 0 && selection.kind !== "all") {
      out.abort();
      return { file: null, rows, skipped, bytes: 0 };
    }
    out.commit();
    return { file: out.path, rows, skipped, bytes: out.bytes, resultsPath: results?.path };
  } catch (err) {
    out.abort();
    throw err;
  } finally {
    results?.close();
  }
}

/**
 * The first `n` records as the export would write them (for the page and the API).
 *
 * @example previewExport(store, "strata", profile) // { columns: ["Student ID", …], rows: [["1001", …]], errors: [] }
 */
export function previewExport(store: Store, tenant: string, profile: ExportProfile, n = 5): { columns: string[]; rows: string[][]; errors: string[] } {
  if ((profile.format ?? "mapped") === "oneroster-csv") return { columns: [], rows: [], errors: ["a oneroster-csv export writes the whole store as a bundle; there is no row preview"] };
  const mapping = compileMapping(profile.fields ?? [], `exports.${profile.name}.fields`);
  const rows: string[][] = [];
  const errors: string[] = [];
  forEachExportRecord(store, tenant, profile.entity!, mapping.sources, profile.where ?? {}, { kind: "all" }, (r) => {
    const m = mapping.apply(r.values);
    if (m.errors.length) errors.push(`${r.sourcedId}: ${m.errors.join("; ")}`);
    else rows.push(mapping.targets.map((t) => m.values[t] ?? ""));
    return rows.length + errors.length < n;
  });
  return { columns: [...mapping.targets], rows, errors };
}

/**
 * Removes files this export wrote more than `retention_days` (28) ago.
 *
 * @example pruneExportFiles(store, dataDir, "strata", profile)
 */
export function pruneExportFiles(store: Store, dataDir: string, tenant: string, profile: ExportProfile, now = Date.now()): string[] {
  const days = profile.retention_days ?? 28;
  const prefix = writtenKey(tenant, profile.name, "");
  const removed: string[] = [];
  for (const { key, value } of store.meta.getRange({ start: prefix, end: prefix.slice(0, -1) + "\x20" })) {
    if (now - (value as number) < days * 86_400_000) continue;
    const path = (key as string).slice(prefix.length);
    // A oneroster-csv export is a folder; a mapped one a file.
    rmSync(path, { recursive: true, force: true });
    store.meta.removeSync(key);
    removed.push(relative(tenantRoot(dataDir, tenant), path));
  }
  return removed;
}
