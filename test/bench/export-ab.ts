/**
 * A/B timing of `rosterbox export run` for two launchers against one store:
 * on a shared machine single timings are noise, so the two alternate in the
 * same minutes and each run reports its process CPU (user + sys, from this
 * process's `cutime`/`cstime` in /proc/self/stat, which count waited-for
 * children), wall time, the job's own seconds and peak RssAnon.
 *
 * `node --import tsx test/bench/export-ab.ts OLD_LAUNCHER NEW_LAUNCHER`
 * (a launcher: a `.mjs` run by this node, or an executable such as dist/rosterbox).
 * `BENCH_EXPORT_USERS` (1 M) sets N, `BENCH_AB_RUNS` (5) the pairs.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runMeasured } from "./_proc.ts";
import { CONFIG, fill } from "./export.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TICK = 100; // USER_HZ on Linux

/** Seconds of CPU used by this process's waited-for children so far. */
function childCpu(): number {
  const stat = readFileSync("/proc/self/stat", "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After "pid (comm) ", field 3 (state) is index 0: cutime is field 16, cstime 17.
  return (Number(fields[13]) + Number(fields[14])) / TICK;
}

interface Run { who: string; wall: number; job: number; cpu: number; rss: number }

async function once(who: string, launcher: string, config: string, users: number): Promise<Run> {
  const [command, ...prefix] = launcher.endsWith(".mjs") ? [process.execPath, launcher] : [launcher];
  const before = childCpu();
  const m = await runMeasured(command!, [...prefix, "export", "run", "--config", config, "district", "accounts"]);
  const cpu = childCpu() - before;
  if (m.code !== 0) throw new Error(`${who}: exit ${m.code}: ${m.stderr}`);
  const out = JSON.parse(m.stdout) as { rows: number; seconds: number };
  if (out.rows !== users) throw new Error(`${who}: ${out.rows} rows, expected ${users}`);
  return { who, wall: m.seconds, job: out.seconds, cpu, rss: m.peakRssAnonMB };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const span = (xs: number[], f: (x: number) => string) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;

const [a, b] = process.argv.slice(2).map((p) => resolve(p));
if (!a || !b) throw new Error("usage: export-ab.ts OLD_LAUNCHER NEW_LAUNCHER");
const users = Number(process.env.BENCH_EXPORT_USERS ?? 1_000_000);
const pairs = Number(process.env.BENCH_AB_RUNS ?? 5);
mkdirSync(join(ROOT, "bench-data"), { recursive: true });
const base = mkdtempSync(join(ROOT, "bench-data", "export-ab-"));
try {
  const dataDir = join(base, "d");
  await fill(dataDir, users);
  spawnSync("sync");
  const config = join(base, "c.yaml");
  writeFileSync(config, CONFIG(dataDir));
  await once("warm-up", b, config, users);
  const runs: Run[] = [];
  for (let i = 0; i < pairs; i++) {
    // Alternate who goes first, so neither always follows the other's page-cache state.
    for (const [who, l] of i % 2 ? [["B", b], ["A", a]] : [["A", a], ["B", b]]) {
      const r = await once(who!, l!, config, users);
      runs.push(r);
      console.error(`${r.who} wall ${r.wall.toFixed(2)} s, job ${r.job.toFixed(2)} s, cpu ${r.cpu.toFixed(2)} s, RssAnon ${r.rss.toFixed(0)} MiB`);
    }
  }
  for (const who of ["A", "B"]) {
    const rs = runs.filter((r) => r.who === who);
    console.log(`${who} ${who === "A" ? a : b}: job ${span(rs.map((r) => users / r.job / 1000), (x) => `${x.toFixed(0)} k/s`)}, ` +
      `process ${span(rs.map((r) => users / r.wall / 1000), (x) => `${x.toFixed(0)} k/s`)}, cpu ${span(rs.map((r) => r.cpu), (x) => `${x.toFixed(2)} s`)}, ` +
      `cpu/row ${span(rs.map((r) => (r.cpu / users) * 1e6), (x) => `${x.toFixed(2)} µs`)}, RssAnon ${span(rs.map((r) => r.rss), (x) => `${x.toFixed(0)}`)} MiB`);
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
