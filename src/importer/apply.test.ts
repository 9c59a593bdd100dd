import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { countKey, recordKey, seqKey } from "../store/keys.ts";
import { readChanges } from "../store/changes.ts";
import { openStore, type Store } from "../store/mod.ts";
import { decodeRecord } from "../store/record.ts";
import { applyPlan, checkpointKey, planWriter } from "./apply.ts";

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

function planOf(entries: [string, string][]): { dataDir: string; runsDir: string } {
  const dataDir = tempDir("rosterbox-apply-");
  const runsDir = join(dataDir, "staging", "job1");
  const plan = planWriter(runsDir);
  for (const [key, value] of entries) plan.add(key, value);
  plan.finish();
  return { dataDir, runsDir };
}

describe("applyPlan", () => {
  it("writes each planned record with its sequence, job and status", async () => {
    const { dataDir, runsDir } = planOf([
      ["users\x00u1", "create\x1eactive\x1e0\x1esourcedId\x1fu1\x1fgivenName\x1fZoë"],
      ["users\x00u2", "create\x1etobedeleted\x1e0\x1esourcedId\x1fu2"],
    ]);
    store = openStore(dataDir);
    expect(await applyPlan({ store, tenant: "strata", jobId: "job1", runsDir })).toBe(2);
    const u1 = decodeRecord(store.records.get(recordKey("strata", "users", "u1"))!);
    expect(u1).toMatchObject({ seq: 1, job: "job1", status: "active", body: "sourcedId\x1fu1\x1fgivenName\x1fZoë" });
    expect(decodeRecord(store.records.get(recordKey("strata", "users", "u2"))!)).toMatchObject({ seq: 2, status: "tobedeleted" });
  });

  it("has every batch committed when it resolves: records, change log, counts and checkpoint", async () => {
    const ids = ["u1", "u2", "u3", "u4", "u5"];
    const { dataDir, runsDir } = planOf(ids.map((id) => [`users\x00${id}`, `create\x1eactive\x1e0\x1esourcedId\x1f${id}`]));
    store = openStore(dataDir);
    expect(await applyPlan({ store, tenant: "strata", jobId: "job1", runsDir, batchSize: 2 })).toBe(5);
    for (const id of ids) expect(decodeRecord(store.records.get(recordKey("strata", "users", id))!).seq).toBe(ids.indexOf(id) + 1);
    expect([...readChanges(store, "strata")].map((c) => `${c.seq} ${c.sourcedId} ${c.op}`)).toEqual(ids.map((id, i) => `${i + 1} ${id} create`));
    expect(store.meta.get(countKey("strata", "users"))).toBe(5);
    expect(store.meta.get(seqKey("strata"))).toBe(5);
    expect(store.jobs.get(checkpointKey("job1"))).toEqual({ key: "users\x00u5", seq: 5, undo: 0, changed: 5 });
  });

  it("stores values that cross slabs, or are larger than one, as they were", async () => {
    const sizes = [400_000, 700_000, 1_500_000, 90, 1_048_000, 300_000, 5];
    const body = (i: number) => `sourcedId\x1fu${i}\x1fnote\x1f${String.fromCharCode(97 + i).repeat(sizes[i]!)}`;
    const { dataDir, runsDir } = planOf(sizes.map((_, i) => [`users\x00u${i}`, `create\x1eactive\x1e0\x1e${body(i)}`]));
    store = openStore(dataDir);
    expect(await applyPlan({ store, tenant: "strata", jobId: "job1", runsDir, batchSize: 2 })).toBe(sizes.length);
    for (let i = 0; i < sizes.length; i++) expect(decodeRecord(store.records.get(recordKey("strata", "users", `u${i}`))!).body).toBe(body(i));
  });

  it("counts on from the kept count, and counts a store that kept none", async () => {
    const first = planOf([["users\x00u1", "create\x1eactive\x1e0\x1esourcedId\x1fu1"], ["users\x00u2", "create\x1eactive\x1e0\x1esourcedId\x1fu2"]]);
    store = openStore(first.dataDir);
    await applyPlan({ store, tenant: "strata", jobId: "job1", runsDir: first.runsDir, batchSize: 1 });
    expect(store.meta.get(countKey("strata", "users"))).toBe(2);
    // A store from before counts were kept: the records there are counted once.
    await store.meta.remove(countKey("strata", "users"));
    const more = planWriter(join(first.dataDir, "staging", "job2"));
    more.add("users\x00u3", "create\x1eactive\x1e0\x1esourcedId\x1fu3");
    more.finish();
    await applyPlan({ store, tenant: "strata", jobId: "job2", runsDir: join(first.dataDir, "staging", "job2") });
    expect(store.meta.get(countKey("strata", "users"))).toBe(3);
  });

  it("refuses a damaged plan entry, naming it, and writes nothing of its batch", async () => {
    const { dataDir, runsDir } = planOf([
      ["users\x00u1", "create\x1eactive\x1e0\x1esourcedId\x1fu1"],
      ["users\x00u2", "create\x1emaybe\x1e0\x1esourcedId\x1fu2"],
    ]);
    store = openStore(dataDir);
    await expect(applyPlan({ store: store!, tenant: "strata", jobId: "job1", runsDir })).rejects.toThrow(
      "the job's plan file is damaged at users u2; cancel the job and import the files again",
    );
    expect(store.records.get(recordKey("strata", "users", "u1"))).toBeUndefined();
  });

  it("refuses a staged-body reference that is not run,offset,length", async () => {
    const { dataDir, runsDir } = planOf([["users\x00u1", "create\x1eactive\x1e@0,12\x1e"]]);
    store = openStore(dataDir);
    await expect(applyPlan({ store: store!, tenant: "strata", jobId: "job1", runsDir })).rejects.toThrow("the job's plan file is damaged at users u1");
  });
});
