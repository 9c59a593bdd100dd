import { mkdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DISTRICT, openStore, tempDir, writeBundle } from "../../test/_bundle.ts";
import { runImport } from "../importer/run.ts";
import { loadJob, saveJob, type JobRecord } from "../store/jobs.ts";
import { stagedJobIds } from "../store/mod.ts";
import { attemptJob, failStoppedJob, JOB_ATTEMPTS } from "./attempts.ts";

const job = { id: "j1", status: "complete" } as JobRecord;

describe("a job whose worker fails", () => {
  it("is tried again at once, resuming, and ends as its attempt that got through", async () => {
    const tried: number[] = [];
    const told: string[] = [];
    const end = await attemptJob({
      run: async (attempt) => {
        tried.push(attempt);
        if (attempt < 3) throw new Error(`import worker exited with code 1 before finishing (${attempt})`);
        return job;
      },
      retrying: (err, attempt) => told.push(`${attempt}: ${err.message}`),
      pauseMs: () => 0,
    });
    expect(end).toBe(job);
    expect(tried).toEqual([1, 2, 3]);
    expect(told).toEqual(["1: import worker exited with code 1 before finishing (1)", "2: import worker exited with code 1 before finishing (2)"]);
  });

  it(`gives up after ${JOB_ATTEMPTS} attempts with the last error, and the job ends failed, saying why, its staging gone`, async () => {
    let tried = 0;
    const end = await attemptJob({ run: async () => { tried++; throw new Error("ENOSPC: no space left on device, write"); }, retrying: () => {}, pauseMs: () => 0 });
    expect(tried).toBe(JOB_ATTEMPTS);
    expect(end).toEqual(new Error("ENOSPC: no space left on device, write"));

    const dataDir = tempDir();
    const store = openStore(dataDir);
    try {
      const held = await runImport(store, dataDir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [writeBundle(DISTRICT)], dryRun: true });
      // As a worker leaves it when it dies in the middle of an apply.
      saveJob(store, { ...held, status: "running", phase: "applying" });
      store.staging(held.id).putSync("x", Buffer.from("y"));
      mkdirSync(store.runsDir(held.id), { recursive: true });
      expect(stagedJobIds(store)).toContain(held.id);
      const failed = await failStoppedJob(store, held.id, end as Error);
      expect(failed).toMatchObject({ status: "failed", phase: "done" });
      expect(failed!.message).toBe(`The job stopped ${JOB_ATTEMPTS} times and was given up: ENOSPC: no space left on device, write. Changes it had applied are kept, batch by batch; the feed's next file is planned against them. Look at the machine's memory and disk, then send the files again.`);
      expect(loadJob(store, held.id)!.status).toBe("failed");
      expect(stagedJobIds(store)).not.toContain(held.id);
      expect(store.staging(held.id).get("x")).toBeUndefined();
      expect(await failStoppedJob(store, "nope", end as Error)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
