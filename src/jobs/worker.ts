/**
 * Runs imports in a `node:worker_threads` worker — the one worker API that
 * works on Node 20, Deno and in a Node SEA binary — so that parsing and
 * validation never block the thread serving SFTP and the web page.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { ImportRequest, Progress } from "../importer/run.ts";
import type { JobRecord } from "../store/jobs.ts";

export type WorkerTask =
  | { mode: "import"; dataDir: string; request: ImportRequest }
  | { mode: "resume" | "approve"; dataDir: string; jobId: string };

const entry = new URL("./_import_worker.ts", import.meta.url);

/**
 * Starts a worker for `task` and resolves with the job record it ends with.
 *
 * @example
 * const job = await runInWorker({ mode: "import", dataDir, request }, (p) => console.log(p.phase, p.rows));
 */
export function runInWorker(task: WorkerTask, onProgress?: (p: Progress) => void): Promise<JobRecord> {
  return new Promise((resolve, reject) => {
    const worker = spawn(task);
    let settled = false;
    worker.on("message", (m: { type: string; progress?: Progress; job?: JobRecord; message?: string }) => {
      if (m.type === "progress") onProgress?.(m.progress!);
      else if (m.type === "done") {
        settled = true;
        resolve(m.job!);
      } else if (m.type === "error") {
        settled = true;
        reject(new Error(m.message));
      }
    });
    worker.on("error", (err) => {
      settled = true;
      reject(err);
    });
    worker.on("exit", (code) => {
      if (!settled) reject(new Error(`import worker exited with code ${code} before finishing`));
    });
  });
}

/**
 * A bounded heap: an import's live data is small (its buffers are bounded
 * and off-heap), but V8 left to itself lets garbage pile up to several
 * hundred MB before collecting it. With the old generation capped the
 * process stays near 150 MB, at no measurable cost in speed.
 */
const LIMITS = { resourceLimits: { maxYoungGenerationSizeMb: 24, maxOldGenerationSizeMb: 96 } };

function spawn(task: WorkerTask): Worker {
  const isDeno = "Deno" in globalThis;
  if (isDeno || !entry.pathname.endsWith(".ts")) return new Worker(entry, { workerData: task, ...LIMITS });
  // Node cannot load .ts in a worker by itself: register tsx there first.
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData: task, ...LIMITS });
}
