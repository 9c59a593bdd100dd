/**
 * The body of an import worker thread: opens the store, runs (or resumes,
 * or approves) one import, reports progress, and hands back the job record.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { openStore } from "../store/mod.ts";
import { loadJob } from "../store/jobs.ts";
import { applyJob, resumeImport, runImport, type ImportRequest, type Progress } from "../importer/run.ts";
import type { WorkerTask } from "./worker.ts";

const task = workerData as WorkerTask;
const store = openStore(task.dataDir);
const progress = (p: Progress) => parentPort!.postMessage({ type: "progress", progress: p });
try {
  let job;
  if (task.mode === "import") job = await runImport(store, task.dataDir, task.request as ImportRequest, progress);
  else {
    const found = loadJob(store, task.jobId);
    if (!found) throw new Error(`no job ${task.jobId} in ${task.dataDir}`);
    job = task.mode === "resume" ? await resumeImport(store, task.dataDir, found, progress) : await applyJob(store, found, progress);
  }
  parentPort!.postMessage({ type: "done", job });
} catch (err) {
  parentPort!.postMessage({ type: "error", message: err instanceof Error ? err.stack ?? err.message : String(err) });
} finally {
  await store.close();
}
