import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "./mod.ts";
import { newJobId, saveJob, type JobRecord, type JobStatus } from "./jobs.ts";
import { ensureJobIndex, jobsByStatus, jobsOfFeedAfter, listJobs } from "./job-index.ts";

let store: Store;
let dir: string;
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function job(tenant: string, feed: string, status: JobStatus, at: number): JobRecord {
  return {
    id: newJobId(at), tenant, feed, format: "oneroster-csv", paths: [], files: ["x.csv"], status, phase: "done", dryRun: false,
    rows: 0, counts: {}, message: "", resultsPath: "", receivedAt: new Date(at).toISOString(), request: {},
  };
}

describe("listJobs", () => {
  it("pages newest first through every filter, and follows status changes", () => {
    dir = mkdtempSync(join(tmpdir(), "rb-jobindex-"));
    store = openStore(dir);
    const day = Date.parse("2026-11-20T12:00:00Z");
    const made: JobRecord[] = [];
    for (let i = 0; i < 30; i++) {
      const j = job(i % 2 ? "strata" : "north", i % 3 ? "OneRoster" : "Accounts", i % 5 ? "complete" : "failed", day + i * 3_600_000);
      saveJob(store, j);
      made.push(j);
    }
    const all = listJobs(store, {}, 100);
    expect(all.jobs.map((j) => j.id)).toEqual(made.map((j) => j.id).reverse());
    expect(all.next).toBeNull();

    // Paging: 7 at a time gives every job once, in order.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = listJobs(store, { tenant: "strata" }, 7, cursor);
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(seen).toEqual(made.filter((j) => j.tenant === "strata").map((j) => j.id).reverse());

    const failedStrataRoster = listJobs(store, { tenant: "strata", feed: "OneRoster", status: "failed" }, 100).jobs;
    expect(failedStrataRoster.map((j) => j.id)).toEqual(made.filter((j) => j.tenant === "strata" && j.feed === "OneRoster" && j.status === "failed").map((j) => j.id).reverse());
    expect(listJobs(store, { status: "failed" }, 100).jobs).toHaveLength(6);

    // 2026-11-21 holds the jobs received 12 h to 35 h after 2026-11-20 12:00: the 13th to the 30th.
    const onDay = listJobs(store, { from: "2026-11-21", to: "2026-11-21" }, 100).jobs;
    expect(onDay.every((j) => j.receivedAt.startsWith("2026-11-21"))).toBe(true);
    expect(onDay).toHaveLength(18);

    // A status change moves the job between status keys.
    saveJob(store, { ...made[0]!, status: "cancelled" });
    expect(listJobs(store, { status: "failed" }, 100).jobs).toHaveLength(5);
    expect(listJobs(store, { status: "cancelled" }, 100).jobs.map((j) => j.id)).toEqual([made[0]!.id]);
    expect(jobsByStatus(store)).toMatchObject({ complete: 24, failed: 5, cancelled: 1, held: 0 });
    expect([...jobsOfFeedAfter(store, "north", "Accounts", made[0]!.id)].map((j) => j.id))
      .toEqual(made.filter((j, i) => i > 0 && j.tenant === "north" && j.feed === "Accounts").map((j) => j.id));
    expect(() => listJobs(store, { from: "last tuesday" }, 10)).toThrow(/"last tuesday" is not a date/);
  });

  it("indexes the jobs a store held before the index existed", () => {
    dir = mkdtempSync(join(tmpdir(), "rb-jobindex-"));
    store = openStore(dir);
    const old = job("strata", "OneRoster", "complete", Date.now());
    store.jobs.putSync(old.id, old);
    expect(listJobs(store, { tenant: "strata" }, 10).jobs).toHaveLength(0);
    ensureJobIndex(store);
    expect(listJobs(store, { tenant: "strata" }, 10).jobs.map((j) => j.id)).toEqual([old.id]);
  });
});
