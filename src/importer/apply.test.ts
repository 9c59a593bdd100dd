import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/_bundle.ts";
import { recordKey } from "../store/keys.ts";
import { openStore, type Store } from "../store/mod.ts";
import { decodeRecord } from "../store/record.ts";
import { applyPlan, planWriter } from "./apply.ts";

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
  it("writes each planned record with its sequence, job and status", () => {
    const { dataDir, runsDir } = planOf([
      ["users\x00u1", "create\x1eactive\x1e0\x1esourcedId\x1fu1\x1fgivenName\x1fZoë"],
      ["users\x00u2", "create\x1etobedeleted\x1e0\x1esourcedId\x1fu2"],
    ]);
    store = openStore(dataDir);
    expect(applyPlan({ store, tenant: "strata", jobId: "job1", runsDir })).toBe(2);
    const u1 = decodeRecord(store.records.get(recordKey("strata", "users", "u1"))!);
    expect(u1).toMatchObject({ seq: 1, job: "job1", status: "active", body: "sourcedId\x1fu1\x1fgivenName\x1fZoë" });
    expect(decodeRecord(store.records.get(recordKey("strata", "users", "u2"))!)).toMatchObject({ seq: 2, status: "tobedeleted" });
  });

  it("refuses a damaged plan entry, naming it, and writes nothing of its batch", () => {
    const { dataDir, runsDir } = planOf([
      ["users\x00u1", "create\x1eactive\x1e0\x1esourcedId\x1fu1"],
      ["users\x00u2", "create\x1emaybe\x1e0\x1esourcedId\x1fu2"],
    ]);
    store = openStore(dataDir);
    expect(() => applyPlan({ store: store!, tenant: "strata", jobId: "job1", runsDir })).toThrow(
      "the job's plan file is damaged at users u2; cancel the job and import the files again",
    );
    expect(store.records.get(recordKey("strata", "users", "u1"))).toBeUndefined();
  });

  it("refuses a staged-body reference that is not run,offset,length", () => {
    const { dataDir, runsDir } = planOf([["users\x00u1", "create\x1eactive\x1e@0,12\x1e"]]);
    store = openStore(dataDir);
    expect(() => applyPlan({ store: store!, tenant: "strata", jobId: "job1", runsDir })).toThrow("the job's plan file is damaged at users u1");
  });
});
