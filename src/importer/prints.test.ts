import { existsSync, readFileSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLASSES, COURSES, DISTRICT, ENROLLMENTS, openStore, recordsOf, tempDir, USERS, writeBundle } from "../../test/_bundle.ts";
import { readChanges } from "../store/changes.ts";
import { jobEvents } from "../store/jobs.ts";
import { packageKey } from "../store/keys.ts";
import type { Store } from "../store/mod.ts";
import { applyJob, runImport, type ImportRequest } from "./run.ts";
import { STAGE_LIMITS } from "./stage.ts";

/**
 * The fingerprints are a shortcut: whatever they pass over, an import that
 * checks every row (`recheck`) must come to the same records, counts,
 * changes and results. Each step runs on two stores, one of each kind.
 */
let fast: { dir: string; store: Store };
let full: { dir: string; store: Store };

beforeEach(() => {
  const a = tempDir("rosterbox-prints-");
  const b = tempDir("rosterbox-recheck-");
  fast = { dir: a, store: openStore(a) };
  full = { dir: b, store: openStore(b) };
});
afterEach(async () => {
  await fast.store.close();
  await full.store.close();
});

const LOOSE = { deletes: { percent: 100 }, updates: { percent: 100 } };
const ENTITIES = ["orgs", "academicSessions", "courses", "classes", "users", "enrollments"];

function request(bundle: string, extra: Partial<ImportRequest> = {}): ImportRequest {
  return { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [bundle], thresholds: LOOSE, ...extra };
}

function resultLines(path: string): string[] {
  return readFileSync(path, "utf8").trim().split("\n").slice(1).sort();
}

function state(store: Store) {
  const records = Object.fromEntries(ENTITIES.map((e) => [e, Object.fromEntries(recordsOf(store, "strata", e))]));
  const changes = [...readChanges(store, "strata")].map((c) => `${c.entity}/${c.sourcedId}/${c.op}`);
  return { records, changes };
}

/** Imports `files` into both stores; returns the fast store's job after checking the two agree. */
async function both(files: Record<string, string>, extra: Partial<ImportRequest> = {}) {
  const bundle = writeBundle(files);
  const a = await runImport(fast.store, fast.dir, request(bundle, extra));
  const b = await runImport(full.store, full.dir, request(bundle, { ...extra, recheck: true }));
  expect(b.probed ?? []).toEqual([]);
  expect({ status: a.status, counts: a.counts, message: a.message }).toEqual({ status: b.status, counts: b.counts, message: b.message });
  expect(resultLines(a.resultsPath)).toEqual(resultLines(b.resultsPath));
  expect(state(fast.store)).toEqual(state(full.store));
  return a;
}

describe("fingerprints pass unchanged rows over", () => {
  it("and agree with checking every row: changed, moved, removed and new rows", async () => {
    const first = await both(DISTRICT);
    expect(first.probed).toEqual([]);
    expect(existsSync(fast.store.printsDir(first.id))).toBe(true);

    const users = USERS.replace("u2,,,TRUE,s1,student,alan,,Alan,", "u2,,,TRUE,s1,student,alan,,Alan M.,").split("\n");
    // u3 moved ahead of u2; e3 gone; e5 new.
    [users[2], users[3]] = [users[3]!, users[2]!];
    const enrollments = ENROLLMENTS.replace(/^e3,.*\n/m, "") + "e5,,,k2,s2,u1,student,false,2026-08-15,2026-12-20\n";
    const second = await both({ ...DISTRICT, "users.csv": users.join("\n"), "enrollments.csv": enrollments });
    expect(second.probed).toEqual(ENTITIES);
    expect(second.counts.users).toMatchObject({ updated: 1, unchanged: 3 });
    expect(second.counts.enrollments).toMatchObject({ created: 1, deleted: 1, unchanged: 3 });
    // The last job's fingerprints replace the ones before.
    expect(existsSync(fast.store.printsDir(first.id))).toBe(false);
    expect(fast.store.packages.get(packageKey("strata", "OneRoster"))?.prints?.entities).toEqual(ENTITIES);

    // Back to the first package: the removed row is restored, the changed one changed back.
    const third = await both({ ...DISTRICT, "orgs.csv": DISTRICT["orgs.csv"] + "s3,,,West High,school,S3,d1\n" });
    expect(third.probed).toEqual(ENTITIES);
    expect(third.counts.enrollments).toMatchObject({ created: 0, updated: 1, unchanged: 3 });
  });

  it("a row whose reference has gone is rejected, as when every row is checked", async () => {
    await both(DISTRICT);
    const classes = CLASSES.replace(/^k2,.*\n/m, "");
    const job = await both({ ...DISTRICT, "classes.csv": classes });
    expect(job.probed).toContain("enrollments");
    expect(job.counts.enrollments).toMatchObject({ errors: 1, unchanged: 3 });
    expect(resultLines(job.resultsPath).join("\n")).toMatch(/enrollments\.csv,4,enrollments,e3,skip,ERROR,"classSourcedId: classes ""k2"" is not in this package/);
  });

  it("more changed rows than the stage remembers: references to them are looked up, and agree", async () => {
    const classes = CLASSES + "k3,,,Chemistry - P3,10,c2,CHE-3,scheduled,R303,s2,t1,,,3\n";
    const enrollments = ENROLLMENTS + "e5,,,k3,s2,u1,student,false,2026-08-15,2026-12-20\n";
    await both({ ...DISTRICT, "classes.csv": classes, "enrollments.csv": enrollments });
    // k1 and k2 changed, k3 gone: three probed classes, past a limit of one.
    const changed = classes.replace("Algebra I - P1", "Algebra I - P1 (moved)").replace("Biology - P2", "Biology - P2 (moved)").replace(/^k3,.*\n/m, "");
    const saved = STAGE_LIMITS.maxGone;
    STAGE_LIMITS.maxGone = 1;
    try {
      const job = await both({ ...DISTRICT, "classes.csv": changed, "enrollments.csv": enrollments });
      expect(job.counts.classes).toMatchObject({ updated: 2, deleted: 1 });
      expect(job.counts.enrollments).toMatchObject({ errors: 1, unchanged: 4 });
      expect(resultLines(job.resultsPath).join("\n")).toMatch(/enrollments\.csv,6,enrollments,e5,skip,ERROR,"classSourcedId: classes ""k3"" is not in this package/);
    } finally {
      STAGE_LIMITS.maxGone = saved;
    }
  });

  it("a row with a warning is checked, and warned of, every time", async () => {
    const courses = COURSES.replace("ALG1,09,", "ALG1,9,");
    await both({ ...DISTRICT, "courses.csv": courses });
    const job = await both({ ...DISTRICT, "courses.csv": courses, "orgs.csv": DISTRICT["orgs.csv"] + "s3,,,West,school,S3,d1\n" });
    expect(job.probed).toContain("courses");
    expect(resultLines(job.resultsPath)).toContain(
      `courses.csv,2,courses,c1,unchanged,WARNING,"grades: ""9"" is not a CEDS grade code (did a spreadsheet drop the leading zero? use 09)"`,
    );
  });

  it("a duplicate of an unchanged row is found: the import checks every row again", async () => {
    await both(DISTRICT);
    const enrollments = ENROLLMENTS + "e1,,,k2,s2,u1,student,false,2026-08-15,2026-12-20\n";
    const job = await both({ ...DISTRICT, "enrollments.csv": enrollments });
    expect(job.probed).toEqual([]);
    expect(jobEvents(fast.store, job.id).map((e) => e.event)).toContain("recheck");
    expect(job.counts.enrollments).toMatchObject({ errors: 1, unchanged: 4 });
    // The duplicate's line is void in this job's fingerprints: the next import does not take it for applied.
    const next = await both({ ...DISTRICT, "enrollments.csv": enrollments, "orgs.csv": DISTRICT["orgs.csv"] + "s3,,,West,school,S3,d1\n" });
    expect(next.counts.enrollments).toMatchObject({ errors: 1, unchanged: 4 });
  });

  it("rows whose references are settled at the end, or never are, agree too", async () => {
    // s3's parent comes after it; s4's parent never comes.
    const orgs = DISTRICT["orgs.csv"] + "s3,,,West,school,S3,d2\ns4,,,Lost,school,S4,d9\nd2,,,Other District,district,D2,\n";
    const first = await both({ ...DISTRICT, "orgs.csv": orgs });
    expect(first.counts.orgs).toMatchObject({ created: 5, errors: 1 });
    // u8 points at s4, which was staged (so u8 was applied) and rejected at the end.
    const users = USERS + "u8,,,true,s4,student,u8,,U,Eight,,1008,,,,,09,\n";
    const job = await both({ ...DISTRICT, "orgs.csv": orgs, "users.csv": users });
    expect(job.probed).toContain("orgs");
    expect(job.counts.orgs).toMatchObject({ unchanged: 5, errors: 1 });
    expect(job.counts.users).toMatchObject({ created: 1, unchanged: 4 });
    // Without s4's row, u8's reference is looked up again, though u8 itself comes again unchanged.
    const gone = await both({ ...DISTRICT, "orgs.csv": orgs.replace(/^s4,.*\n/m, ""), "users.csv": users });
    expect(gone.probed).toContain("users");
    expect(gone.counts.users).toMatchObject({ unchanged: 4, errors: 1 });
  });

  it("a header in another order matches no row, and still comes to the same", async () => {
    await both(DISTRICT);
    const lines = USERS.trim().split("\n").map((l) => l.split(","));
    const swapped = lines.map((cells) => [cells[1], cells[0], ...cells.slice(2)].join(",")).join("\n") + "\n";
    // "Hopper, Jr" is quoted and holds a comma: swap only the first two columns, which it is not in.
    const job = await both({ ...DISTRICT, "users.csv": swapped });
    expect(job.probed).toContain("users");
    expect(job.counts.users).toMatchObject({ unchanged: 4, updated: 0 });
  });
});

describe("a damaged fingerprint file", () => {
  it("is not relied on: the import checks every row again", async () => {
    const first = await both(DISTRICT);
    const path = join(fast.store.printsDir(first.id), "users.fp");
    truncateSync(path, statSync(path).size - 3);
    const job = await both({ ...DISTRICT, "users.csv": USERS.replace("u3,,,true,s2,", "u3,,,false,s2,") });
    expect(jobEvents(fast.store, job.id).map((e) => e.event)).toContain("recheck");
    expect(job.counts.users).toMatchObject({ updated: 1, unchanged: 3 });
  });
});

describe("a file-level error after rows were passed over", () => {
  it("fails the job as ever: nothing applied, no unchanged rows in its results", async () => {
    await both(DISTRICT);
    const before = state(fast.store);
    const job = await both({ ...DISTRICT, "enrollments.csv": ENROLLMENTS + 'e9,,,k1,s1,u1,"student' });
    expect(job.status).toBe("failed");
    expect(resultLines(job.resultsPath)).toEqual([expect.stringMatching(/^enrollments\.csv,6,,,skip,ERROR,/)]);
    expect(state(fast.store)).toEqual(before);
  });
});

describe("fingerprints hold only while nothing else changed the records", () => {
  it("another feed's import that changed records means every row is checked", async () => {
    const bundle = writeBundle(DISTRICT);
    await runImport(fast.store, fast.dir, request(bundle));
    const other = writeBundle({ "orgs.csv": DISTRICT["orgs.csv"] + "s9,,,East High,school,S9,d1\n" }, { modes: { "orgs.csv": "delta" } });
    await runImport(fast.store, fast.dir, { ...request(other), feed: "Other" });
    const again = await runImport(fast.store, fast.dir, request(bundle, { reprocess: false, recheck: false, paths: [writeBundle({ ...DISTRICT, "users.csv": USERS + "u9,,,true,s1,student,u9,,U,Nine,,1009,,,,,09,\n" })] }));
    expect(again.probed).toEqual([]);
    expect(again.counts.users).toMatchObject({ created: 1, unchanged: 4 });
  });

  it("a dry run leaves the fingerprints as they were; --reprocess checks every row", async () => {
    const first = await runImport(fast.store, fast.dir, request(writeBundle(DISTRICT)));
    const changed = writeBundle({ ...DISTRICT, "users.csv": USERS + "u9,,,true,s1,student,u9,,U,Nine,,1009,,,,,09,\n" });
    const dry = await runImport(fast.store, fast.dir, request(changed, { dryRun: true }));
    expect(dry.probed).toEqual(ENTITIES);
    expect(fast.store.packages.get(packageKey("strata", "OneRoster"))?.job).toBe(first.id);
    const reprocessed = await runImport(fast.store, fast.dir, request(changed, { reprocess: true }));
    expect(reprocessed.probed).toEqual([]);
    expect(reprocessed.counts.users).toMatchObject({ created: 1, unchanged: 4 });
  });

  it("a held job approved after another import leaves no fingerprints", async () => {
    await runImport(fast.store, fast.dir, request(writeBundle(DISTRICT)));
    const strict = { deletes: { percent: 20 }, updates: { percent: 75 } };
    const held = await runImport(fast.store, fast.dir, request(writeBundle({ ...DISTRICT, "enrollments.csv": ENROLLMENTS.split("\n").slice(0, 2).join("\n") + "\n" }), { thresholds: strict }));
    expect(held.status).toBe("held");
    await runImport(fast.store, fast.dir, request(writeBundle({ ...DISTRICT, "orgs.csv": DISTRICT["orgs.csv"] + "s3,,,West,school,S3,d1\n" })));
    const applied = await applyJob(fast.store, held);
    expect(applied.status).toBe("complete");
    const mark = fast.store.packages.get(packageKey("strata", "OneRoster"));
    expect(mark?.job).toBe(held.id);
    expect(mark?.prints).toBeUndefined();
  });
});
