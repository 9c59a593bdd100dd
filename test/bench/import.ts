/**
 * The import benchmark: for each district size, a bulk import into an empty
 * store, the identical package again (full diff with `--reprocess`, then the
 * identical-package shortcut), a package with ~1 % of rows changed (matched
 * against the last import's fingerprints), the first package again with
 * every row checked (`--reprocess`: the same 1 % changed back), and the 1 %
 * package once more after the page cache is dropped (root only), as a
 * nightly import meets a store a day's other work has evicted — each timed,
 * memory- and CPU-sampled as a separate `rosterbox import` process, and set
 * against Python's `csv.reader` merely parsing the same files on the same
 * machine, so figures from different machines stay comparable.
 *
 * The summaries' counts are checked against what the generator wrote: an
 * importer that is fast because it skipped work shows up in the `check` column.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateDistrict, type DistrictInfo } from "./generate.ts";
import { runMeasured, type Measured } from "./_proc.ts";
import type { EntityCountsRecord } from "../../src/store/jobs.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The command under test: the development launcher, or `BENCH_CLI` (say the
 * packaged `dist/rosterbox`); scripts run under this Node, anything else as is.
 */
function cliCommand(): [string, string[]] {
  const cli = process.env.BENCH_CLI ? resolve(ROOT, process.env.BENCH_CLI) : join(ROOT, "bin", "rosterbox.mjs");
  return /\.(m?js|ts)$/.test(cli) ? [process.execPath, [cli]] : [cli, []];
}

/** Python's csv.reader over the given files, timed inside Python so interpreter start-up is left out. */
const PY_ANCHOR = `
import csv, json, os, sys, time
rows = size = 0
t = time.perf_counter()
for p in sys.argv[1:]:
    size += os.path.getsize(p)
    with open(p, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r, None)
        rows += sum(1 for _ in r)
print(json.dumps({"rows": rows, "bytes": size, "seconds": time.perf_counter() - t}))
`;

/** A parse rate as test/bench/csv.ts reports it. */
export interface Figure {
  mbps: number;
  rowsPerSec: number;
}

export interface Anchor extends Figure {
  rows: number;
  bytes: number;
  seconds: number;
  peakRssAnonMB: number;
}

/** One entity's counts in the `--json` summary (CONTRACT.md). */
export type Counts = EntityCountsRecord;

export interface SizeResult {
  students: number;
  base: DistrictInfo;
  baseSeconds: number;
  changed: DistrictInfo;
  changedSeconds: number;
  /** Python's parse, before the scenarios… */
  python: Anchor;
  /** …and after them: ratios are taken against the mean of the two, the machine's speed drifting. */
  pythonAfter?: Anchor;
}

/** The rows/s that a size's ratios are taken against. */
export function anchorRate(s: SizeResult): number {
  return s.pythonAfter ? (s.python.rowsPerSec + s.pythonAfter.rowsPerSec) / 2 : s.python.rowsPerSec;
}

export interface ScenarioResult {
  students: number;
  scenario: string;
  rows: number;
  seconds: number;
  peakRssAnonMB: number;
  /** CPU seconds, all threads: in user space and in the kernel (absent for results from before they were kept). */
  cpu?: { user: number; sys: number };
  status: string;
  counts: Counts;
  /** "ok", or what differs from what the generator wrote. */
  check: string;
  /** A machine anchor measured alongside (no import): printed without counts. */
  anchor?: boolean;
}

/** Everything measured so far; filled as the run goes so a failure still leaves the finished rows. */
export interface ImportResults {
  sizes: SizeResult[];
  scenarios: ScenarioResult[];
  csv?: { file: string; students: number; bytes: number; python: Figure; parsers: Record<string, Figure> };
  csvError?: string;
}

/** A measured command did not do its job; the message carries its stderr. */
export class BenchFailure extends Error {}

const dataRows = (info: DistrictInfo): number =>
  Object.entries(info.files).reduce((n, [f, rows]) => (f === "manifest.csv" ? n : n + rows), 0);
const dataChanged = (info: DistrictInfo): number => Object.values(info.changed).reduce((n, rows) => n + rows, 0);

/** Reads files through once, so that what reads them next finds them in the page cache. */
function warmFiles(files: string[]): void {
  execFileSync("cat", files, { stdio: ["ignore", "ignore", "inherit"] });
}

/** {@link warmFiles} for a bundle folder. */
function warm(dir: string): void {
  warmFiles(readdirSync(dir).map((name) => join(dir, name)));
}

/**
 * Runs Python's csv.reader over `files` and reports its parse rate. The files
 * are read through once first: after a 1M district's imports they are out of
 * the page cache, and Python then measured the disk (304 k rows/s against
 * 448 k before the imports), not the parse.
 */
export async function pythonAnchor(files: string[]): Promise<Anchor> {
  warmFiles(files);
  const m = await runMeasured("python3", ["-c", PY_ANCHOR, ...files]);
  if (m.code !== 0) throw new BenchFailure(`python3 csv anchor failed (exit ${m.code ?? m.signal}):\n${m.stderr}`);
  const r = JSON.parse(m.stdout) as { rows: number; bytes: number; seconds: number };
  return { ...r, rowsPerSec: r.rows / r.seconds, mbps: r.bytes / 1e6 / r.seconds, peakRssAnonMB: m.peakRssAnonMB };
}

function clip(text: string, max = 20_000): string {
  return text.length <= max ? text : `… (${text.length - max} chars cut)\n${text.slice(-max)}`;
}

interface Summary {
  status: string;
  rows: number;
  counts: Record<string, Partial<Counts>>;
}

/** One `rosterbox import … --json`; throws {@link BenchFailure} with its stderr unless it finished cleanly. */
async function runImport(args: string[], echo: boolean): Promise<{ m: Measured; summary: Summary }> {
  const [command, prefix] = cliCommand();
  const argv = [...prefix, "import", ...args, "--json"];
  const m = await runMeasured(command, argv, { cwd: ROOT, echoStderr: echo });
  const shown = [command === process.execPath ? "node" : command, ...argv].map((a) => a.replace(ROOT, "")).join(" ");
  let summary: Summary | undefined;
  // Tolerate log lines before the summary: it is the last JSON object on stdout.
  const text = m.stdout.trim();
  for (const candidate of [text, text.slice(text.lastIndexOf("\n{") + 1)]) {
    try {
      summary = JSON.parse(candidate) as Summary;
      break;
    } catch {
      /* try the next shape */
    }
  }
  const bad =
    m.code !== 0 ? `exited with ${m.code ?? m.signal}`
    : !summary ? "printed no JSON summary on stdout"
    : typeof summary.rows !== "number" || !summary.counts ? "printed a summary without rows/counts"
    : ["failed", "incomplete", "held"].includes(summary.status) ? `finished with status "${summary.status}"`
    : "";
  if (bad) {
    throw new BenchFailure(
      `rosterbox import ${bad} after ${m.seconds.toFixed(1)} s\n  command: ${shown}\n` +
        `--- stderr ---\n${clip(m.stderr) || "(empty)"}\n--- stdout ---\n${clip(m.stdout, 4000) || "(empty)"}`,
    );
  }
  return { m, summary: summary as Summary };
}

function total(counts: Summary["counts"]): Counts {
  const t: Counts = { created: 0, updated: 0, deleted: 0, unchanged: 0, errors: 0, warnings: 0 };
  for (const c of Object.values(counts)) for (const k of Object.keys(t) as (keyof Counts)[]) t[k] += Number(c[k] ?? 0);
  return t;
}

/**
 * Compares a summary with what the package must have done: "ok" or the
 * differences. `rows` is undefined where the count may legitimately differ
 * (the shortcut need not read the files).
 */
function check(c: Counts, expect: Partial<Counts>, summaryRows: number, rows: number | undefined): string {
  const issues: string[] = [];
  if (rows !== undefined && summaryRows !== rows) issues.push(`rows ${int(summaryRows)} ≠ ${int(rows)}`);
  // Clean generated data: any error, warning or delete is the importer's (or the generator's) bug.
  for (const [k, v] of Object.entries({ errors: 0, warnings: 0, deleted: 0, ...expect }) as [keyof Counts, number][]) {
    if (c[k] !== v) issues.push(`${k} ${int(c[k])} ≠ ${int(v)}`);
  }
  return issues.length ? `⚠ ${issues.join(", ")}` : "ok";
}

/**
 * Runs the whole import benchmark for `sizes` (students) inside `workDir`,
 * appending to `results` as it goes. The largest size's enrollments.csv is
 * also handed to `csvBench` (the tokenizer benchmark) when one is given.
 */
export async function benchImport(
  sizes: number[],
  workDir: string,
  results: ImportResults,
  options: {
    log: (line: string) => void;
    echoStderr?: boolean;
    csvBench?: (file: string) => Promise<Record<string, Figure>>;
  },
): Promise<void> {
  const { log } = options;
  const ordered = [...sizes].sort((a, b) => a - b);
  for (const students of ordered) {
    const dir = join(workDir, String(students));
    const base = join(dir, "base"), changed = join(dir, "changed"), store = join(dir, "store");
    const tag = `[${label(students)}]`;
    log(`${tag} generating bundles in ${dir}`);
    let t0 = performance.now();
    const baseInfo = await generateDistrict(base, students, { seed: 1 });
    const baseSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const changedInfo = await generateDistrict(changed, students, { seed: 1, changedPercent: 1 });
    const changedSeconds = (performance.now() - t0) / 1000;
    const rows = dataRows(baseInfo);
    log(`${tag} ${rows.toLocaleString("en-US")} rows, ${(baseInfo.bytes / 1e6).toFixed(0)} MB, generated in ${baseSeconds.toFixed(1)} s`);

    const csvFiles = Object.keys(baseInfo.files).map((f) => join(base, f));
    const python = await pythonAnchor(csvFiles);
    log(`${tag} python csv.reader: ${(python.rowsPerSec / 1e6).toFixed(2)} M rows/s, ${python.mbps.toFixed(0)} MB/s`);
    const size: SizeResult = { students, base: baseInfo, baseSeconds, changed: changedInfo, changedSeconds, python };
    results.sizes.push(size);

    await mkdir(store, { recursive: true });
    results.scenarios.push(await pageCacheAnchor(students, dir, log));
    const common = ["--data-dir", store, "--tenant", "bench", "--format", "oneroster-csv"];
    // Order matters: each scenario runs against the store the previous one left.
    const scenarios: [string, string[], Partial<Counts>, boolean, boolean?][] = [
      ["bulk, empty store", [base], { created: rows, updated: 0, unchanged: 0 }, true],
      ["identical, --reprocess", ["--reprocess", base], { created: 0, updated: 0, unchanged: rows }, true],
      ["identical (shortcut)", [base], { created: 0, updated: 0 }, false],
      // Matched against the fingerprints the --reprocess import left.
      ["1 % changed", [changed], { created: 0, updated: dataChanged(changedInfo), unchanged: rows - dataChanged(changedInfo) }, true],
      // The same rows changed back, each row checked and compared with the store as without fingerprints.
      ["1 % changed back, --reprocess (every row checked)", ["--reprocess", base], { created: 0, updated: dataChanged(changedInfo), unchanged: rows - dataChanged(changedInfo) }, true],
      // The nightly import once more, against a store whose pages a day's other work has evicted.
      [COLD, [changed], { created: 0, updated: dataChanged(changedInfo), unchanged: rows - dataChanged(changedInfo) }, true, true],
    ];
    for (const [scenario, extra, expect, readsAll, cold] of scenarios) {
      log(`${tag} import: ${scenario}`);
      // The last scenario's writes go to disk first, not during this one; the bundle is read
      // from the page cache, as an upload just received is (and as Python's anchor reads it).
      execFileSync("sync");
      if (cold && !dropPageCache()) {
        log(`${tag}   skipped: writing /proc/sys/vm/drop_caches needs root`);
        continue;
      }
      warm(extra[extra.length - 1]!);
      const { m, summary } = await runImport([...common, ...extra], options.echoStderr ?? false);
      const counts = total(summary.counts);
      const result: ScenarioResult = {
        students, scenario, rows: summary.rows, seconds: m.seconds, peakRssAnonMB: m.peakRssAnonMB, cpu: m.cpu, status: summary.status, counts,
        check: check(counts, expect, summary.rows, readsAll ? rows : undefined),
      };
      results.scenarios.push(result);
      log(`${tag}   ${m.seconds.toFixed(1)} s, ${rate(summary.rows / m.seconds)} rows/s, ` +
        `${m.peakRssAnonMB.toFixed(0)} MiB, ${summary.status}, ${result.check}`);
      if (scenario === "bulk, empty store") results.scenarios.push(await storeFloor(students, store, join(dir, "floor"), log));
    }

    results.scenarios.push(await pageCacheAnchor(students, dir, log));
    size.pythonAfter = await pythonAnchor(csvFiles);
    log(`${tag} python csv.reader again: ${(size.pythonAfter.rowsPerSec / 1e6).toFixed(2)} M rows/s`);

    if (options.csvBench && students === ordered[ordered.length - 1]) {
      const file = join(base, "enrollments.csv");
      log(`${tag} tokenizer benchmark (test/bench/csv.ts) on enrollments.csv`);
      try {
        const { python: theirs, ...parsers } = await options.csvBench(file);
        // Prefer the tokenizer benchmark's own Python figure: measured under its rules (best of N).
        const python = theirs ?? (await pythonAnchor([file]));
        results.csv = { file: "enrollments.csv", students, bytes: statSync(file).size, python, parsers };
      } catch (e) {
        results.csvError = e instanceof Error ? (e.stack ?? e.message) : String(e);
        log(`${tag} benchCsv failed: ${results.csvError}`);
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** The counts of an anchor, which imports nothing. */
const NO_COUNTS: Counts = { created: 0, updated: 0, deleted: 0, unchanged: 0, errors: 0, warnings: 0 };

/**
 * The second anchor: the first import's records copied into a fresh store in
 * key order, 5,000 a transaction (./store-floor.ts) — LMDB's own write speed
 * for this district, which bounds any import's.
 */
async function storeFloor(students: number, from: string, to: string, log: (line: string) => void): Promise<ScenarioResult> {
  execFileSync("sync");
  const script = fileURLToPath(new URL("./store-floor.ts", import.meta.url));
  const m = await runMeasured(process.execPath, ["--import", "tsx", script, from, to, "bench"], { cwd: ROOT });
  if (m.code !== 0) throw new BenchFailure(`store-floor.ts failed (exit ${m.code ?? m.signal}):\n${m.stderr}`);
  const r = JSON.parse(m.stdout) as { rows: number; seconds: number };
  await rm(to, { recursive: true, force: true });
  log(`[${label(students)}]   LMDB writes alone: ${r.seconds.toFixed(1)} s, ${rate(r.rows / r.seconds)} rows/s`);
  return { students, scenario: "LMDB writes alone: the first import's records into a fresh store (store anchor)", rows: r.rows, seconds: r.seconds, peakRssAnonMB: m.peakRssAnonMB, cpu: m.cpu, status: "—", counts: NO_COUNTS, check: "—", anchor: true };
}

const COLD = "1 % changed, the store out of the page cache (dropped first)";

/** Drops the page cache (clean pages only: run after a `sync`); false when not allowed (not root). */
function dropPageCache(): boolean {
  try {
    writeFileSync("/proc/sys/vm/drop_caches", "1\n");
    return true;
  } catch {
    return false;
  }
}

/** Bytes the page-cache anchor writes. */
const PAGE_CACHE_BYTES = 1024 * 1024 * 1024;

/**
 * The third anchor: `dd` writing 1 GiB into a new file, with no sync — the
 * cost of new page-cache pages alone, no disk. On this machine's virtual
 * machine it swings with the host: a page the guest has not used lately
 * is faulted in by the hypervisor (2 GiB took 11.7 s, 10.2 s of it in the
 * kernel, and 0.74 s written again at once). Every byte an import writes
 * (store, runs, results, fingerprints) pays it, and Python's parse pays none.
 */
async function pageCacheAnchor(students: number, dir: string, log: (line: string) => void): Promise<ScenarioResult> {
  execFileSync("sync");
  const file = join(dir, "page-cache-anchor");
  const m = await runMeasured("dd", ["if=/dev/zero", `of=${file}`, "bs=1M", `count=${PAGE_CACHE_BYTES >> 20}`, "status=none"]);
  await rm(file, { force: true });
  if (m.code !== 0) throw new BenchFailure(`dd failed (exit ${m.code ?? m.signal}):\n${m.stderr}`);
  log(`[${label(students)}]   dd of 1 GiB into the page cache: ${m.seconds.toFixed(2)} s, ${m.cpu.sys.toFixed(2)} s in the kernel`);
  return {
    students, scenario: "dd writing 1 GiB into the page cache, no sync (page-cache anchor)", rows: 0, seconds: m.seconds,
    peakRssAnonMB: m.peakRssAnonMB, cpu: m.cpu, status: "—", counts: NO_COUNTS, check: "—", anchor: true,
  };
}

/** 200000 → "200k", 1000000 → "1M". */
export function label(students: number): string {
  if (students >= 1e6 && students % 1e5 === 0) return `${students / 1e6}M`;
  if (students >= 1e3 && students % 100 === 0) return `${students / 1e3}k`;
  return String(students);
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const rate = (n: number) => (!(n > 0) ? "—" : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);

/** The results as Markdown tables, ready for the README. */
export function importMarkdown(r: ImportResults): string {
  const out: string[] = [];
  out.push("| students | files (orgs / sessions / courses / classes / users / enrollments / demographics) | data rows | MB | generate s | rows changed in the 1 % bundle |");
  out.push("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const s of r.sizes) {
    const f = s.base.files;
    const files = ["orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics"]
      .map((n) => int(f[`${n}.csv`] ?? 0));
    out.push(`| ${label(s.students)} | ${files.join(" / ")} | ${int(dataRows(s.base))} | ${(s.base.bytes / 1e6).toFixed(0)} | ` +
      `${s.baseSeconds.toFixed(1)} | ${int(dataChanged(s.changed))} |`);
  }
  out.push("");
  out.push("| students | scenario | rows | seconds | rows/s | × Python | CPU user / kernel s | peak RssAnon MiB | status | created / updated / deleted / unchanged | check |");
  out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |");
  for (const s of r.sizes) {
    const anchor = anchorRate(s);
    for (const [when, p] of [["before", s.python], ["after", s.pythonAfter]] as const) {
      if (!p) continue;
      out.push(`| ${label(s.students)} | Python csv.reader, parse only (anchor, ${when} the imports) | ${int(p.rows)} | ${p.seconds.toFixed(2)} | ` +
        `${rate(p.rowsPerSec)} | ${(p.rowsPerSec / anchor).toFixed(2)} | — | ${p.peakRssAnonMB.toFixed(0)} | — | — | — |`);
    }
    for (const x of r.scenarios.filter((x) => x.students === s.students)) {
      const c = x.counts, rps = x.rows / x.seconds;
      const [speed, ratio] = x.rows > 0 ? [rate(rps), (rps / anchor).toFixed(2)] : ["—", "—"];
      const changes = x.anchor ? "—" : [c.created, c.updated, c.deleted, c.unchanged].map(int).join(" / ");
      const cpu = x.cpu ? `${x.cpu.user.toFixed(1)} / ${x.cpu.sys.toFixed(1)}` : "—";
      out.push(`| ${label(x.students)} | ${x.scenario} | ${x.rows > 0 ? int(x.rows) : "—"} | ${x.seconds.toFixed(2)} | ${speed} | ${ratio} | ${cpu} | ` +
        `${x.peakRssAnonMB.toFixed(0)} | ${x.status} | ${changes} | ${x.check} |`);
    }
  }
  if (r.csv) {
    const c = r.csv;
    out.push("");
    out.push(`| CSV tokenizer on ${c.file} (${label(c.students)} students, ${(c.bytes / 1e6).toFixed(0)} MB) | MB/s | rows/s | × Python rows/s |`);
    out.push("| --- | ---: | ---: | ---: |");
    out.push(`| Python csv.reader (anchor) | ${c.python.mbps.toFixed(0)} | ${rate(c.python.rowsPerSec)} | 1.00 |`);
    for (const [name, v] of Object.entries(c.parsers)) {
      out.push(`| ${name} | ${v.mbps.toFixed(0)} | ${rate(v.rowsPerSec)} | ${(v.rowsPerSec / c.python.rowsPerSec).toFixed(2)} |`);
    }
  }
  if (r.csvError) out.push("", `benchCsv failed: ${r.csvError.split("\n")[0]}`);
  return out.join("\n");
}
