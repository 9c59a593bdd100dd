/**
 * An import killed with SIGKILL in the middle of its apply, again and again,
 * ends exactly as an uninterrupted one: same records, same change sequence,
 * no change applied twice.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateDistrict } from "./bench/generate.ts";
import { openStore, tempDir } from "./_bundle.ts";
import { checkpointKey } from "../src/importer/apply.ts";
import { unfinishedJobs } from "../src/store/jobs.ts";
import { readChanges } from "../src/store/changes.ts";
import { countKey, recordRange } from "../src/store/keys.ts";
import { ENTITIES } from "../src/model/entities.ts";

const CLI = join(import.meta.dirname, "..", "bin", "rosterbox.mjs");
const args = (dataDir: string, bundle: string) => ["import", "--data-dir", dataDir, "--tenant", "bench", "--format", "oneroster-csv", bundle, "--json"];

/**
 * Every record as status + body (seq and job differ between runs, by design),
 * the change counter, and per entity the record count the apply keeps beside
 * the number of records there are.
 */
async function contents(dataDir: string): Promise<{ records: string[]; seq: unknown; changes: string[]; counts: Record<string, [unknown, number]> }> {
  const store = openStore(dataDir);
  const records = (store.records.getRange({}).map(({ key, value }) => `${key}=${Buffer.from(value).toString().split("\x1e").slice(3).join("|")}`).asArray as unknown as string[]);
  const counts: Record<string, [unknown, number]> = {};
  for (const entity of Object.keys(ENTITIES)) {
    const there = store.records.getKeysCount(recordRange("bench", entity));
    if (there > 0) counts[entity] = [store.meta.get(countKey("bench", entity)), there];
  }
  const result = { records, seq: store.meta.get("seq\x00bench"), changes: [...readChanges(store, "bench")].map((c) => `${c.seq} ${c.entity} ${c.sourcedId} ${c.op}`), counts };
  await store.close();
  return result;
}

/** Starts an import and kills it with SIGKILL once its apply has committed `batches` checkpoints. */
async function killMidApply(dataDir: string, bundle: string, batches: number): Promise<boolean> {
  const child = spawn(process.execPath, [CLI, ...args(dataDir, bundle)], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let killed = false;
  let seen = 0;
  let lastChanged = -1;
  const store = openStore(dataDir);
  try {
    const deadline = Date.now() + 120_000;
    while (child.exitCode === null && Date.now() < deadline) {
      const job = unfinishedJobs(store)[0];
      const cp = job ? (store.jobs.get(checkpointKey(job.id)) as { changed: number } | undefined) : undefined;
      if (cp && cp.changed !== lastChanged) {
        lastChanged = cp.changed;
        if (++seen >= batches) {
          child.kill("SIGKILL");
          killed = true;
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await store.close();
  }
  await exited;
  return killed;
}

describe("crash safety", () => {
  it("kill -9 during apply, repeatedly, then restart: same store as an uninterrupted import", async () => {
    const bundle = tempDir("rosterbox-crash-bundle-");
    await generateDistrict(bundle, 12_000, { seed: 7 });

    const reference = tempDir("rosterbox-crash-ref-");
    const ok = spawnSync(process.execPath, [CLI, ...args(reference, bundle)], { encoding: "utf8" });
    expect(ok.status, ok.stderr).toBe(0);
    const expected = await contents(reference);
    expect(expected.records.length).toBeGreaterThan(90_000);

    const crashed = tempDir("rosterbox-crash-");
    let kills = 0;
    for (const batches of [1, 2, 2]) if (await killMidApply(crashed, bundle, batches)) kills++;
    expect(kills).toBeGreaterThanOrEqual(2);
    const interrupted = await contents(crashed);
    expect(interrupted.records.length).toBeLessThan(expected.records.length);
    // Each batch's records, count and checkpoint commit together: killed anywhere, they agree.
    for (const [entity, [kept, there]] of Object.entries(interrupted.counts)) expect(kept, entity).toBe(there);

    // The next import resumes the interrupted job first; the package is then recognised as applied.
    const again = spawnSync(process.execPath, [CLI, ...args(crashed, bundle)], { encoding: "utf8" });
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).message).toMatch(/identical to the package of job/);
    const resumed = await contents(crashed);
    expect(resumed.seq).toBe(expected.seq);
    expect(resumed.changes).toEqual(expected.changes);
    expect(resumed.records).toEqual(expected.records);
    expect(resumed.counts).toEqual(expected.counts);
    for (const [entity, [kept, there]] of Object.entries(resumed.counts)) expect(kept, entity).toBe(there);
  }, 300_000);
});
