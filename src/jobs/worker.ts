/**
 * Runs imports and exports in `node:worker_threads` workers — the one worker API that
 * works on Node 20, Deno and in a Node SEA binary — so that parsing and
 * validation never block the thread serving SFTP and the web page.
 *
 * Workers are kept in a small pool and reused: starting one (and, in
 * development, its TypeScript loader) costs far more than a small job, and
 * a burst of a thousand small submissions would spend its time starting
 * workers. An idle worker does not keep the process alive.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { ImportRequest, Progress } from "../importer/run.ts";
import type { JobRecord } from "../store/jobs.ts";

export type WorkerTask =
  | { mode: "import"; dataDir: string; request: ImportRequest }
  | { mode: "resume" | "approve" | "export"; dataDir: string; jobId: string };

const entry = new URL("./_import_worker.ts", import.meta.url);

/**
 * A bounded heap: an import's live data is small (its buffers are bounded
 * and off-heap), but V8 left to itself lets garbage pile up to several
 * hundred MB before collecting it. With the old generation capped the
 * process stays near 150 MB, at no measurable cost in speed.
 */
const LIMITS = { resourceLimits: { maxYoungGenerationSizeMb: 24, maxOldGenerationSizeMb: 96 } };

interface Pending {
  resolve: (job: JobRecord) => void;
  reject: (err: Error) => void;
  onProgress?: (p: Progress) => void;
}

interface PooledWorker {
  worker: Worker;
  /** The task it is running, if any. */
  current?: number;
}

const pool: PooledWorker[] = [];
const pending = new Map<number, Pending>();
let seq = 0;

function spawn(): PooledWorker {
  const isDeno = "Deno" in globalThis;
  // The single-file binary (appliance/build.mjs) has no worker file to point at: its bundle
  // defines this global, which returns the worker's bundled source (an embedded asset).
  const bundledWorker = (globalThis as { __rosterboxWorkerSource?: () => string }).__rosterboxWorkerSource;
  let worker: Worker;
  if (bundledWorker) worker = new Worker(bundledWorker(), { eval: true, ...LIMITS });
  else if (isDeno || !entry.pathname.endsWith(".ts")) worker = new Worker(entry, LIMITS);
  else {
    // Node cannot load .ts in a worker by itself: register tsx there first.
    const tsx = import.meta.resolve("tsx/esm/api");
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
    worker = new Worker(boot, { eval: true, ...LIMITS });
  }
  const pooled: PooledWorker = { worker };
  worker.on("message", (m: { type: string; seq: number; progress?: Progress; job?: JobRecord; message?: string }) => {
    const p = pending.get(m.seq);
    if (!p) return;
    if (m.type === "progress") p.onProgress?.(m.progress!);
    else {
      pending.delete(m.seq);
      pooled.current = undefined;
      worker.unref();
      if (m.type === "done") p.resolve(m.job!);
      else p.reject(new Error(m.message));
    }
  });
  const fail = (err: Error) => {
    if (pool.includes(pooled)) pool.splice(pool.indexOf(pooled), 1);
    if (pooled.current !== undefined) {
      const p = pending.get(pooled.current);
      pending.delete(pooled.current);
      pooled.current = undefined;
      p?.reject(err);
    }
  };
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`import worker exited with code ${code} before finishing`)));
  pool.push(pooled);
  return pooled;
}

/**
 * Runs `task` on an idle pooled worker (starting one if none is idle) and
 * resolves with the job record it ends with.
 *
 * @example
 * const job = await runInWorker({ mode: "import", dataDir, request }, (p) => console.log(p.phase, p.rows));
 */
export function runInWorker(task: WorkerTask, onProgress?: (p: Progress) => void): Promise<JobRecord> {
  const pooled = pool.find((w) => w.current === undefined) ?? spawn();
  const n = ++seq;
  pooled.current = n;
  pooled.worker.ref();
  return new Promise((resolve, reject) => {
    pending.set(n, { resolve, reject, onProgress });
    pooled.worker.postMessage({ type: "task", seq: n, task });
  });
}
