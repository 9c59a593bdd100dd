/**
 * The body of a job worker thread: it stays up and runs one task at a
 * time (an import, a resume, an approval, an export) and reports progress and the
 * final job record to its pool. The store is opened per task: a staging
 * database another thread dropped in between (a cancelled or approved job)
 * must not be reached through a handle kept from before.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { openStore, type Store } from "../store/mod.ts";
import { loadJob } from "../store/jobs.ts";
import { applyJob, resumeImport, runImport, type ImportRequest, type Progress } from "../importer/run.ts";
import type { WorkerTask } from "./worker.ts";
import { runExportJob } from "../exporter/mod.ts";

async function run(task: WorkerTask, progress: (p: Progress) => void) {
  const store: Store = openStore(task.dataDir);
  try {
    if (task.mode === "import") return await runImport(store, task.dataDir, task.request as ImportRequest, progress);
    const found = loadJob(store, task.jobId);
    if (!found) throw new Error(`no job ${task.jobId} in ${task.dataDir}`);
    if (task.mode === "export") return await runExportJob(store, task.dataDir, found);
    return task.mode === "resume" ? await resumeImport(store, task.dataDir, found, progress) : await applyJob(store, found, progress);
  } finally {
    await store.close();
  }
}

parentPort!.on("message", async (m: { type: "task"; seq: number; task: WorkerTask }) => {
  const { seq, task } = m;
  try {
    const job = await run(task, (progress) => parentPort!.postMessage({ type: "progress", seq, progress }));
    parentPort!.postMessage({ type: "done", seq, job });
  } catch (err) {
    parentPort!.postMessage({ type: "error", seq, message: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
