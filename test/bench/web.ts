/**
 * The job list with a long history: 100,000 job records (4 tenants, 3 feeds
 * each, a realistic mix of states over a year) in a real store, the web app
 * on a real HTTP port, and the list's queries timed from a client — the
 * first page, each filter, a page deep in the history, and the HTML page.
 *
 * `node --import tsx test/bench/web.ts`; part of `npm run bench`.
 * `BENCH_JOBS` changes the number of jobs.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseConfig } from "../../src/config/mod.ts";
import { newJobId, saveJob, type JobRecord, type JobStatus } from "../../src/store/jobs.ts";
import { openStore } from "../../src/store/mod.ts";
import { createToken, Metrics, startWebServer } from "../../src/web/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ListFigure {
  query: string;
  p50: number;
  p95: number;
  jobs: number;
}

export interface WebFigures {
  jobs: number;
  fillSeconds: number;
  queries: ListFigure[];
}

const TENANTS = ["strata", "north", "south", "east"];
const FEEDS = ["OneRoster", "Accounts", "Staff"];

/** Mostly complete, some incomplete, few failed, rare held/cancelled: a year of nightly feeds. */
function statusOf(i: number): JobStatus {
  const r = (i * 2654435761) % 1000;
  return r < 5 ? "held" : r < 10 ? "cancelled" : r < 40 ? "failed" : r < 200 ? "incomplete" : "complete";
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs the job-list benchmark. */
export async function benchWeb(count = Number(process.env.BENCH_JOBS ?? 100_000)): Promise<WebFigures> {
  mkdirSync(join(ROOT, "bench-data"), { recursive: true });
  const base = mkdtempSync(join(ROOT, "bench-data", "web-"));
  const config = parseConfig(`data_dir: ${join(base, "data")}\ntenants:\n${TENANTS.map((t) => `  - id: ${t}\n    feeds:\n${FEEDS.map((f) => `      - { folder: ${f}, format: oneroster-csv }`).join("\n")}`).join("\n")}\n`, join(base, "x.yaml"), {});
  const store = openStore(config.data_dir);
  try {
    const t0 = performance.now();
    const start = Date.now() - 365 * 86_400_000;
    for (let i = 0; i < count; i += 5_000) {
      store.env.transactionSync(() => {
        for (let k = i; k < Math.min(count, i + 5_000); k++) {
          const at = start + Math.floor((k / count) * 365 * 86_400_000);
          const status = statusOf(k);
          const job: JobRecord = {
            id: newJobId(at), tenant: TENANTS[k % TENANTS.length]!, feed: FEEDS[(k >> 2) % FEEDS.length]!, format: "oneroster-csv",
            paths: [], files: ["users.csv", "enrollments.csv", "manifest.csv"], status, phase: "done", dryRun: false, rows: 1000 + (k % 5000),
            counts: { users: { created: 3, updated: 20, deleted: 0, unchanged: 900, errors: status === "incomplete" ? 4 : 0, warnings: 0 } },
            message: status === "failed" ? "users.csv line 2: wrong header" : "", resultsPath: "", receivedAt: new Date(at).toISOString(),
            startedAt: new Date(at + 1000).toISOString(), finishedAt: new Date(at + 9000).toISOString(), request: {},
          };
          saveJob(store, job);
        }
      });
    }
    const fillSeconds = (performance.now() - t0) / 1000;
    const token = createToken(store, "bench", "viewer");
    const web = await startWebServer("127.0.0.1:0", { config, store, metrics: new Metrics(), hostKeys: [], queued: () => {} });
    const url = `http://127.0.0.1:${web.port}`;
    const headers = { authorization: `Bearer ${token}` };
    const deep = (await (await fetch(`${url}/api/jobs?limit=500`, { headers })).json()) as { next: string };
    const mid = new Date(start + 180 * 86_400_000).toISOString().slice(0, 10);
    const queries = [
      "/api/jobs",
      "/api/jobs?tenant=north",
      "/api/jobs?tenant=north&feed=Staff",
      "/api/jobs?status=failed",
      "/api/jobs?status=held",
      "/api/jobs?tenant=south&feed=Accounts&status=failed",
      `/api/jobs?from=${mid}&to=${mid}`,
      `/api/jobs?cursor=${deep.next}`,
      "/api/jobs?limit=500",
      "/jobs?tenant=north&status=failed",
    ];
    const out: ListFigure[] = [];
    for (const q of queries) {
      const times: number[] = [];
      let jobs = 0;
      for (let i = 0; i < 60; i++) {
        const t = performance.now();
        const res = await fetch(`${url}${q}`, { headers });
        // The HTML page (a token is accepted there too) counts its table rows.
        jobs = q.startsWith("/api/") ? ((await res.json()) as { jobs: unknown[] }).jobs.length : ((await res.text()).match(/<tr><td><a href="\/jobs\//g) ?? []).length;
        if (i >= 10) times.push(performance.now() - t); // the first ten warm up V8 and the page cache
      }
      times.sort((a, b) => a - b);
      out.push({ query: q, p50: percentile(times, 50), p95: percentile(times, 95), jobs });
    }
    await web.close();
    return { jobs: count, fillSeconds, queries: out };
  } finally {
    await store.close();
    rmSync(base, { recursive: true, force: true });
  }
}

export function webMarkdown(f: WebFigures): string {
  return [
    `| job list, ${f.jobs.toLocaleString("en-US")} jobs in the store, over HTTP with a token (last row: the HTML page) | jobs returned | p50 ms | p95 ms |`,
    "| --- | ---: | ---: | ---: |",
    ...f.queries.map((q) => `| \`${q.query.replace(/cursor=[^&]+/, "cursor=(after 500)")}\` | ${q.jobs} | ${q.p50.toFixed(1)} | ${q.p95.toFixed(1)} |`),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const f = await benchWeb();
  console.log(`${webMarkdown(f)}\n\n(${f.jobs} jobs saved in ${f.fillSeconds.toFixed(1)} s)`);
}
