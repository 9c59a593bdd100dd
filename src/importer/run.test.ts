import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DISTRICT, ENROLLMENTS, ORGS, recordsOf, tempDir, USERS, writeBundle } from "../../test/_bundle.ts";
import { storePerTest } from "../../test/_store.ts";
import type { Store } from "../store/mod.ts";
import { activeKey, packageKey, recordRange } from "../store/keys.ts";
import { countActive } from "../store/records.ts";
import { readChanges } from "../store/changes.ts";
import { applyJob, runImport, type ImportRequest } from "./run.ts";
import { hashPackage, listPackage } from "./_hash-thread.ts";

let dataDir: string;
let store: Store;
storePerTest((d, s) => ((dataDir = d), (store = s)));

const request = (paths: string[], extra: Partial<ImportRequest> = {}): ImportRequest => ({
  tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths, ...extra,
});
const run = (bundle: string, extra: Partial<ImportRequest> = {}) => runImport(store, dataDir, request([bundle], extra));
const resultsOf = (path: string) => readFileSync(path, "utf8").trim().split("\n");
const snapshot = () => (store.records.getRange({}).map(({ key, value }) => `${key}=${Buffer.from(value).toString()}`).asArray as unknown as string[]).join("\n");

describe("a first bulk import", () => {
  it("creates every record and reports each row", async () => {
    const job = await run(writeBundle(DISTRICT));
    expect(job.status).toBe("complete");
    expect(job.rows).toBe(17);
    expect(job.counts.users).toEqual({ created: 4, updated: 0, deleted: 0, unchanged: 0, errors: 0, warnings: 0 });
    const users = recordsOf(store, "strata", "users");
    expect(users.get("u3")).toMatchObject({ familyName: "Hopper, Jr", enabledUser: "true", status: "active" });
    expect(users.get("u2")!.enabledUser).toBe("true"); // TRUE normalised
    const lines = resultsOf(job.resultsPath);
    expect(lines[0]).toBe("file,line,entity,sourcedId,action,status,message");
    expect(lines).toContain("users.csv,4,users,u3,create,SUCCESS,");
    expect(lines).toHaveLength(18);
  });

  it("keeps a change sequence that grows with every change", async () => {
    await run(writeBundle(DISTRICT));
    expect(store.meta.get("seq\x00strata")).toBe(17);
    const changes = [...readChanges(store, "strata")];
    expect(changes.map((c) => c.seq)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    expect(changes.filter((c) => c.entity === "users").map((c) => `${c.sourcedId}:${c.op}`).sort()).toEqual(["t1u:create", "u1:create", "u2:create", "u3:create"]);
    expect([...readChanges(store, "strata", 15)].map((c) => c.seq)).toEqual([16, 17]);
  });
});

describe("re-imports", () => {
  it("long sourcedIds are found again: unchanged on a re-import, deleted when a bulk file drops them", async () => {
    // 100 characters: the store key passes 64, where lmdb's default key encoding changed its byte order.
    const long = (n: number) => `e${n}-` + "7".repeat(97);
    const enrollments = ENROLLMENTS.replace("e1,", `${long(1)},`).replace("e2,", `${long(2)},`);
    const first = await run(writeBundle({ ...DISTRICT, "enrollments.csv": enrollments }));
    expect(first.counts.enrollments).toMatchObject({ created: 4, errors: 0 });
    const again = await run(writeBundle({ ...DISTRICT, "enrollments.csv": enrollments }), { reprocess: true });
    expect(again.counts.enrollments).toMatchObject({ created: 0, unchanged: 4, deleted: 0 });
    const dropped = enrollments.split("\n").filter((line) => !line.startsWith(long(2))).join("\n");
    const third = await run(writeBundle({ ...DISTRICT, "enrollments.csv": dropped }), { thresholds: { deletes: { percent: 50 }, updates: { percent: 75 } } });
    expect(third.counts.enrollments).toMatchObject({ deleted: 1, unchanged: 3 });
    expect(recordsOf(store, "strata", "enrollments").get(long(2))?.status).toBe("tobedeleted");
  });

  it("an identical package is recognised by content and changes nothing", async () => {
    const bundle = writeBundle(DISTRICT);
    await run(bundle);
    const before = snapshot();
    const again = await run(bundle);
    expect(again.status).toBe("complete");
    expect(again.message).toMatch(/identical to the package of job/);
    expect(again.counts.enrollments!.unchanged).toBe(4);
    expect(snapshot()).toBe(before);
  });

  it("a package of another size is staged while it is hashed, and its mark lets it be recognised next time", async () => {
    await run(writeBundle(DISTRICT));
    const renamed = writeBundle({ ...DISTRICT, "users.csv": USERS.replace("Alan,Turing", "Alan,Turing-Smith") });
    const changed = await run(renamed);
    expect(changed.counts.users).toMatchObject({ updated: 1, unchanged: 3 });
    const mark = store.packages.get(packageKey("strata", "OneRoster"));
    expect(mark).toMatchObject({ job: changed.id, bytes: (await listPackage([renamed])).bytes, hash: await hashPackage(await listPackage([renamed])) });
    const again = await run(renamed);
    expect(again.message).toMatch(new RegExp(`identical to the package of job ${changed.id}`));
    expect(existsSync(store.runsDir(again.id))).toBe(false);
  });

  it("a package of the same size but other content is hashed first, then imported", async () => {
    await run(writeBundle(DISTRICT));
    const same = writeBundle({ ...DISTRICT, "users.csv": USERS.replace("Alan,Turing", "Alan,Tuning") });
    const job = await run(same);
    expect(job.message).not.toMatch(/identical/);
    expect(job.counts.users).toMatchObject({ updated: 1, unchanged: 3 });
    expect(recordsOf(store, "strata", "users").get("u2")!.familyName).toBe("Tuning");
  });

  it("the same bytes read with another mapping are imported again, not taken for the package before", async () => {
    const file = join(tempDir("rosterbox-acc-"), "acc_2026_05_01.txt");
    writeFileSync(file, "ID,First,Last,User\n1,Ann,Lee,alee\n2,Bob,Ray,bray\n");
    const mapping = (given: string, family: string) => ({
      delimited: {
        entity: "users",
        fields: [
          { from: "ID", to: "sourcedId" }, { from: given, to: "givenName" }, { from: family, to: "familyName" },
          { from: "User", to: "username" }, { from: "ID", to: "enabledUser", transform: "const:true" },
        ],
      },
    });
    // Every record updated is over the default limit: approved in advance.
    const accounts = (given: string, family: string) =>
      runImport(store, dataDir, { tenant: "strata", feed: "Accounts", format: "delimited", paths: [file], source: mapping(given, family), approve: true });
    // Swapped by mistake, then put right: the file is delivered again unchanged.
    expect((await accounts("Last", "First")).status).toBe("complete");
    expect(recordsOf(store, "strata", "users").get("1")).toMatchObject({ givenName: "Lee", familyName: "Ann" });
    const fixed = await accounts("First", "Last");
    expect(fixed.status).toBe("complete");
    expect(fixed.counts.users).toMatchObject({ updated: 2 });
    expect(recordsOf(store, "strata", "users").get("1")).toMatchObject({ givenName: "Ann", familyName: "Lee" });
    // Read the same way again, it is the same package.
    expect((await accounts("First", "Last")).message).toMatch(/identical to the package of job/);
  });

  it("a package delivered again after another feed changed the tenant's records is applied again: the later wins", async () => {
    const bundle = writeBundle(DISTRICT);
    await run(bundle);
    const bob = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,familyName\nu1,active,2026-11-24T10:00:00Z,true,s1,student,ada,Bob,Lovelace\n";
    const other = await runImport(store, dataDir, request([writeBundle({ "users.csv": bob }, { modes: { "users.csv": "delta" } })], { feed: "Other" }));
    expect(other.counts.users).toMatchObject({ updated: 1 });
    expect(recordsOf(store, "strata", "users").get("u1")!.givenName).toBe("Bob");
    const again = await run(bundle);
    expect(again.message).not.toMatch(/identical/);
    expect(again.counts.users).toMatchObject({ updated: 1, unchanged: 3 });
    expect(recordsOf(store, "strata", "users").get("u1")!.givenName).toBe("Ada");
  });

  it("a package mark from before it kept the change sequence is not trusted: the package is imported", async () => {
    const bundle = writeBundle(DISTRICT);
    await run(bundle);
    const key = packageKey("strata", "OneRoster");
    const { seq: _seq, reading: _reading, ...old } = store.packages.get(key)!;
    store.packages.putSync(key, old);
    const again = await run(bundle);
    expect(again.message).not.toMatch(/identical/);
    expect(again.counts.users).toMatchObject({ unchanged: 4, created: 0, updated: 0, deleted: 0 });
    // Its own mark is a whole one: the next delivery is recognised.
    expect((await run(bundle)).message).toMatch(/identical to the package of job/);
  });

  it("the same content planned again is all unchanged", async () => {
    const bundle = writeBundle(DISTRICT);
    await run(bundle);
    const before = snapshot();
    const again = await run(bundle, { reprocess: true });
    expect(again.counts.users).toMatchObject({ unchanged: 4, created: 0, updated: 0, deleted: 0 });
    expect(snapshot()).toBe(before);
  });

  it("updates what changed and soft-deletes what a bulk file no longer holds, keeping a before-image", async () => {
    await run(writeBundle(DISTRICT));
    const users = USERS.replace("Alan,Turing", "Alan,Turing-Smith").replace(/^t1u,.*\n/m, "");
    const enrollments = ENROLLMENTS.replace(/^e4,.*\n/m, "");
    const job = await run(writeBundle({ ...DISTRICT, "users.csv": users, "enrollments.csv": enrollments }), {
      thresholds: { deletes: { percent: 50 }, updates: { percent: 75 } },
    });
    expect(job.status).toBe("complete");
    expect(job.counts.users).toMatchObject({ updated: 1, deleted: 1, unchanged: 2 });
    const stored = recordsOf(store, "strata", "users");
    expect(stored.get("u2")!.familyName).toBe("Turing-Smith");
    expect(stored.get("t1u")).toMatchObject({ status: "tobedeleted", familyName: "Noether" });
    const undo = store.undo.getRange({ start: job.id, end: job.id + "\x01" }).map(({ value }) => Buffer.from(value).toString()).asArray as unknown as string[];
    expect(undo.some((u) => u.startsWith("users\x00u2\x00") && u.includes("Turing\x1f"))).toBe(true);
    expect(resultsOf(job.resultsPath)).toContain("users.csv,0,users,t1u,delete,SUCCESS,not in the bulk file users.csv: marked tobedeleted");
  });

  it("a record marked tobedeleted and delivered again as it was is restored, not left unchanged", async () => {
    await run(writeBundle(DISTRICT));
    const lenient = { thresholds: { deletes: { percent: 50 }, updates: { percent: 75 } } };
    const without = USERS.replace(/^t1u,.*\n/m, "");
    const enrollments = ENROLLMENTS.split("\n").filter((l) => !l.includes(",t1u,")).join("\n");
    await run(writeBundle({ ...DISTRICT, "users.csv": without, "enrollments.csv": enrollments }), lenient);
    expect(recordsOf(store, "strata", "users").get("t1u")).toMatchObject({ status: "tobedeleted" });
    const job = await run(writeBundle(DISTRICT), lenient);
    expect(job.counts.users).toMatchObject({ updated: 1, unchanged: 3 });
    expect(recordsOf(store, "strata", "users").get("t1u")).toMatchObject({ status: "active", familyName: "Noether" });
    expect(resultsOf(job.resultsPath)).toContain("users.csv,5,users,t1u,update,SUCCESS,restored (was tobedeleted)");
  });

  it("keeps non-ASCII text exactly, created as bytes and updated with a before-image", async () => {
    const first = USERS.replace("Ada,Lovelace", "Adélaïde,Lovelace-Ñúñez").replace("Alan,Turing", "李,Turing😀");
    await run(writeBundle({ ...DISTRICT, "users.csv": first }));
    expect(recordsOf(store, "strata", "users").get("u1")).toMatchObject({ givenName: "Adélaïde", familyName: "Lovelace-Ñúñez" });
    expect(recordsOf(store, "strata", "users").get("u2")).toMatchObject({ givenName: "李", familyName: "Turing😀" });
    const job = await run(writeBundle({ ...DISTRICT, "users.csv": first.replace("Lovelace-Ñúñez", "Lovelace-Ñúñez-Byron") }));
    expect(job.counts.users).toMatchObject({ updated: 1, unchanged: 3 });
    const stored = recordsOf(store, "strata", "users");
    expect(stored.get("u1")).toMatchObject({ givenName: "Adélaïde", familyName: "Lovelace-Ñúñez-Byron", status: "active" });
    expect(stored.get("u2")).toMatchObject({ givenName: "李", familyName: "Turing😀" });
    const undo = store.undo.getRange({ start: job.id, end: job.id + "\x01" }).map(({ value }) => Buffer.from(value).toString()).asArray as unknown as string[];
    expect(undo).toHaveLength(1);
    expect(undo[0]).toMatch(/^users\x00u1\x00.*familyName\x1fLovelace-Ñúñez\x1f/);
  });

  it("a delta file changes only what it names; tobedeleted rows delete", async () => {
    await run(writeBundle(DISTRICT));
    const delta = `sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate
e2,tobedeleted,2026-11-24T10:00:00Z,k1,s1,u2,student,false,2026-08-15,2026-12-20
e9,active,2026-11-24T10:00:00Z,k2,s2,u1,student,false,2026-08-15,2026-12-20
`;
    const bundle = writeBundle({ "enrollments.csv": delta }, { modes: { "enrollments.csv": "delta" } });
    // One delete of four enrollments is 25 %: over the default limit.
    expect((await run(bundle)).status).toBe("held");
    const job = await run(bundle, { thresholds: { deletes: { percent: 30 }, updates: { percent: 75 } } });
    expect(job.status).toBe("complete");
    expect(job.counts.enrollments).toMatchObject({ created: 1, deleted: 1, updated: 0 });
    const stored = recordsOf(store, "strata", "enrollments");
    expect(stored.get("e2")!.status).toBe("tobedeleted");
    expect(stored.get("e1")!.status).toBe("active");
    expect(stored.size).toBe(5);
  });

  it("a bundle with only its manifest changes nothing", async () => {
    await run(writeBundle(DISTRICT));
    const job = await run(writeBundle({}));
    expect(job.status).toBe("complete");
    expect(job.rows).toBe(0);
  });
});

describe("the change threshold", () => {
  it("holds a bulk file that would delete 90% of enrollments, applies nothing, and applies on approval", async () => {
    const many = ["sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate"];
    for (let i = 0; i < 100; i++) many.push(`e${i},,,k1,s1,u${(i % 3) + 1},student,false,,`);
    await run(writeBundle({ ...DISTRICT, "enrollments.csv": many.join("\n") + "\n" }));
    const before = snapshot();
    const truncated = many.slice(0, 11).join("\n") + "\n";
    const held = await run(writeBundle({ ...DISTRICT, "enrollments.csv": truncated }));
    expect(held.status).toBe("held");
    expect(held.held).toEqual(["enrollments: 90 of 100 records (90.0%) would be deleted; the limit is 20%"]);
    expect(held.message).toMatch(/Nothing was applied/);
    expect(snapshot()).toBe(before);
    const approved = await applyJob(store, held);
    expect(approved.status).toBe("complete");
    const stored = recordsOf(store, "strata", "enrollments");
    expect([...stored.values()].filter((r) => r.status === "tobedeleted")).toHaveLength(90);
  });

  it("judges deletes by the active records, not by the tombstones of earlier deletes", async () => {
    const users = (n: number) => {
      const lines = ["sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,familyName"];
      for (let i = 1; i <= n; i++) lines.push(`u${i},,,true,s1,student,user${i},G,F`);
      return writeBundle({ "orgs.csv": ORGS, "users.csv": lines.join("\n") + "\n" });
    };
    await run(users(10));
    expect((await run(users(5), { approve: true })).counts.users).toMatchObject({ deleted: 5 });
    expect(store.meta.get(activeKey("strata", "users"))).toBe(5);
    // 2 of the 5 active users is 40 %, though it is 20 % of the 10 records the store holds.
    const held = await run(users(3));
    expect(held.status).toBe("held");
    expect(held.held).toEqual(["users: 2 of 5 records (40.0%) would be deleted; the limit is 20%"]);
    // A store from before the active count was kept is counted.
    store.meta.removeSync(activeKey("strata", "users"));
    expect((await run(users(3))).held).toEqual(["users: 2 of 5 records (40.0%) would be deleted; the limit is 20%"]);
    // Restores count again: all ten back, and two of them dropped, is 20 % of ten.
    expect((await run(users(10), { approve: true })).counts.users).toMatchObject({ updated: 5 });
    expect(store.meta.get(activeKey("strata", "users"))).toBe(10);
    expect((await run(users(8))).status).toBe("complete");
    expect(countActive(store, "strata", "users")).toBe(8);
  });

  it("an approval applied onto records changed since its plan leaves the active count to be counted again", async () => {
    const users = (ids: number[]) =>
      ["sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,familyName", ...ids.map((i) => `u${i},,,true,s1,student,user${i},G,F`)].join("\n") + "\n";
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    await run(writeBundle({ "orgs.csv": ORGS, "users.csv": users(range(10)) }));
    const held = await run(writeBundle({ "orgs.csv": ORGS, "users.csv": users(range(5)) }));
    expect(held.status).toBe("held");
    // Another feed adds u11 while the job waits: the plan's figure (5 once applied) no longer holds.
    const delta = writeBundle({ "users.csv": users([11]).replace(",,,true", ",active,2026-11-24T10:00:00Z,true") }, { modes: { "users.csv": "delta" } });
    expect((await runImport(store, dataDir, request([delta], { feed: "Other" }))).counts.users).toMatchObject({ created: 1 });
    expect(store.meta.get(activeKey("strata", "users"))).toBe(11);
    expect((await applyJob(store, held)).status).toBe("complete");
    expect(store.meta.get(activeKey("strata", "users"))).toBeUndefined();
    expect(countActive(store, "strata", "users")).toBe(6);
  });

  it("judges by a record count the apply keeps, and counts a store from before it was kept", async () => {
    const count = () => store.meta.get("count\x00strata\x00enrollments");
    await run(writeBundle(DISTRICT));
    expect(count()).toBe(4);
    // Every entity of the one batch is counted.
    expect(["orgs", "academicSessions", "courses", "classes", "users"].map((e) => store.meta.get(`count\x00strata\x00${e}`))).toEqual([3, 2, 2, 2, 4]);
    const more = ENROLLMENTS + "e5,,,k2,s2,u1,student,false,,\n";
    await run(writeBundle({ ...DISTRICT, "enrollments.csv": more }));
    expect(count()).toBe(5);
    // The next delete is judged against the five active ones, counted where the kept figures are gone.
    const fewer = ENROLLMENTS.split("\n").slice(0, 2).join("\n") + "\n";
    expect(store.meta.get(activeKey("strata", "enrollments"))).toBe(5);
    store.meta.removeSync("count\x00strata\x00enrollments");
    store.meta.removeSync(activeKey("strata", "enrollments"));
    const held = await run(writeBundle({ ...DISTRICT, "enrollments.csv": fewer }));
    expect(held.held).toEqual(["enrollments: 4 of 5 records (80.0%) would be deleted; the limit is 20%"]);
    // A plan writes nothing, not even the counts.
    expect(count()).toBeUndefined();
    expect(store.meta.get(activeKey("strata", "enrollments"))).toBeUndefined();
  });
});

describe("bad input gets a clear error and loses nothing", () => {
  const failsWith = async (bundle: string, pattern: RegExp) => {
    await run(writeBundle(DISTRICT));
    const before = snapshot();
    const job = await run(bundle);
    expect(job.status).toBe("failed");
    expect(job.message).toMatch(pattern);
    expect(resultsOf(job.resultsPath)[1]).toMatch(pattern);
    expect(snapshot()).toBe(before);
    return job;
  };

  it("a truncated file (cut inside a quoted field)", async () => {
    await failsWith(writeBundle({ ...DISTRICT, "users.csv": USERS + 'u9,,,true,s1,student,x,,"Cut' }), /users\.csv line 6: unterminated quoted field/);
  });

  it("a wrong header", async () => {
    await failsWith(writeBundle({ ...DISTRICT, "users.csv": "id,name\n1,x\n" }), /users\.csv line 1: wrong header: no sourcedId column/);
  });

  it("a missing required column", async () => {
    await failsWith(writeBundle({ ...DISTRICT, "users.csv": USERS.replace("givenName,", "given,") }), /required column givenName missing/);
  });

  it("a missing manifest", async () => {
    await failsWith(writeBundle(DISTRICT, { manifest: null }), /manifest\.csv: is missing/);
  });

  it("a manifest declaring a file the bundle does not hold", async () => {
    await failsWith(writeBundle(DISTRICT, { modes: { "demographics.csv": "bulk" } }), /manifest\.csv line \d+: declares file\.demographics=bulk but demographics\.csv is not in the bundle/);
  });

  it("binary garbage", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
    await failsWith(writeBundle({ ...DISTRICT, "users.csv": garbage }), /users\.csv/);
  });

  it("invalid UTF-8 names the byte offset and line", async () => {
    const bytes = Buffer.concat([Buffer.from(USERS), Buffer.from("u9,,,true,s1,student,x,,Bj"), Buffer.from([0xf6]), Buffer.from("rk,Y,,,,,,,,\n")]);
    await failsWith(writeBundle({ ...DISTRICT, "users.csv": bytes }), /users\.csv line 6: .*byte/);
  });

  it("a 40 MB single field rejects its row only", async () => {
    const huge = "x".repeat(40 * 1024 * 1024);
    const job = await run(writeBundle({ ...DISTRICT, "users.csv": USERS + `u9,,,true,s1,student,big,,Big,${huge},,,,,,,,\n` }));
    expect(job.status).toBe("incomplete");
    expect(job.counts.users).toMatchObject({ created: 4, errors: 1 });
    expect(resultsOf(job.resultsPath).find((l) => l.includes("ERROR"))).toMatch(/^users\.csv,6,users,.*longer than/);
  });

  it("mixed line endings keep line numbers right", async () => {
    const mixed = USERS.split("\n").filter(Boolean).map((l, i) => l + ["\r\n", "\n", "\r"][i % 3]).join("") + "u9,,,maybe,s1,student,x,,X,Y,,,,,,,,\n";
    const job = await run(writeBundle({ ...DISTRICT, "users.csv": mixed }));
    expect(resultsOf(job.resultsPath)).toContain('users.csv,6,users,u9,skip,ERROR,"enabledUser: ""maybe"" is not true or false"');
    expect(job.counts.users!.created).toBe(4);
  });

  it("duplicate sourcedIds in one file: the first is kept, the second named with the first's line", async () => {
    const job = await run(writeBundle({ ...DISTRICT, "users.csv": USERS + "u1,,,true,s1,student,ada2,,Ada,Again,,,,,,,,\n" }));
    expect(job.status).toBe("incomplete");
    expect(resultsOf(job.resultsPath).join("\n")).toMatch(/users\.csv,6,users,u1,skip,ERROR,"sourcedId ""u1"" appears twice in this package \(first at users\.csv line 2\)/);
    expect(recordsOf(store, "strata", "users").get("u1")!.familyName).toBe("Lovelace");
  });

  it("dangling references reject the row and say what is missing", async () => {
    const job = await run(writeBundle({ ...DISTRICT, "enrollments.csv": ENROLLMENTS + "e9,,,k404,s1,u1,student,false,,\n" }));
    expect(job.status).toBe("incomplete");
    expect(resultsOf(job.resultsPath).join("\n")).toContain('enrollments.csv,6,enrollments,e9,skip,ERROR,"classSourcedId: classes ""k404"" is not in this package nor in the store');
    expect(recordsOf(store, "strata", "enrollments").has("e9")).toBe(false);
  });

  it("references resolve against the store when the package does not carry the entity", async () => {
    await run(writeBundle(DISTRICT));
    const job = await run(writeBundle({ "enrollments.csv": ENROLLMENTS + "e9,,,k2,s2,u1,student,false,,\n" }, { modes: { "enrollments.csv": "delta" } }));
    expect(job.status).toBe("complete");
    expect(job.counts.enrollments!.created).toBe(1);
  });

  it("rows with bad values are skipped, named and explained; the rest applies", async () => {
    const bad = USERS + "u8,,,true,s1,wizard,m,,M,N,,,,,,,,\nu7,,,true,s1,student,o,,,P,,,,,,,,\nbad id!,,,true,s1,student,q,,Q,R,,,,,,,,\n";
    const job = await run(writeBundle({ ...DISTRICT, "users.csv": bad }));
    const lines = resultsOf(job.resultsPath).join("\n");
    expect(lines).toContain('users,u8,skip,ERROR,"role: ""wizard"" is not one of: administrator, aide, guardian, parent, proctor, relative, student, teacher"');
    expect(lines).toContain("users,u7,skip,ERROR,givenName: required but empty");
    expect(lines).toMatch(/users,bad id!,skip,ERROR,"sourcedId: ""bad id!"" is not a valid id/);
    expect(job.counts.users).toMatchObject({ created: 4, errors: 3 });
  });

  it("wrong field counts reject the row", async () => {
    const job = await run(writeBundle({ ...DISTRICT, "users.csv": USERS + "u9,,,true,s1\n" }));
    expect(resultsOf(job.resultsPath).join("\n")).toContain('users.csv,6,users,u9,skip,ERROR,"expected 18 fields as in the header, found 5; check for an unquoted comma or a cut-off line"');
  });

  it("a dry run plans and reports but writes nothing", async () => {
    const job = await run(writeBundle(DISTRICT), { dryRun: true });
    expect(job.status).toBe("complete");
    expect(job.counts.users!.created).toBe(4);
    expect(store.records.getKeysCount(recordRange("strata", "users"))).toBe(0);
  });
});

describe("formats in a bundle", () => {
  it("reads UTF-16 with a BOM, aliases, extension columns and vendor files with warnings", async () => {
    const users = USERS.replace("userIds", "userId").replace("password", "ext_locker") ;
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(users, "utf16le")]);
    const job = await run(writeBundle({ ...DISTRICT, "users.csv": utf16, "guardians.csv": "guardianId,name\ng1,Pat\n" }));
    expect(job.status).toBe("complete");
    const lines = resultsOf(job.resultsPath).join("\n");
    expect(lines).toContain("userId read as userIds");
    expect(lines).toContain("columns not in OneRoster kept as extension fields: ext_locker");
    expect(lines).toContain('guardians.csv,0,manifest,,skip,WARNING,"is not a OneRoster file; its rows are stored as extension entity ""guardians"""');
    expect(recordsOf(store, "strata", "users").get("u1")!.userIds).toBe("{LDAP:ada}");
    expect(recordsOf(store, "strata", "guardians").get("g1")!.name).toBe("Pat");
  });

  it("reads a zipped bundle", async () => {
    const dir = writeBundle(DISTRICT);
    const zip = join(tempDir(), "bundle.zip");
    const { execFileSync } = await import("node:child_process");
    try {
      execFileSync("python3", ["-c", `import zipfile,os,sys\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\n[z.write(os.path.join(sys.argv[2],f),f) for f in os.listdir(sys.argv[2])]\nz.close()`, zip, dir]);
    } catch {
      writeFileSync(zip, "");
    }
    const job = await runImport(store, dataDir, request([zip]));
    expect(job.status).toBe("complete");
    expect(job.counts.enrollments!.created).toBe(4);
  });
});

describe("OneRoster 1.2 and the other files", () => {
  it("imports a 1.2 bundle with roles.csv and users without role columns, and stores gradebook files", async () => {
    const users12 = `sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns
u1,,,true,ada,,Ada,Lovelace,,,,,,,09,,,,,,s1,she/her
`;
    const roles = `sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId
r1,,,u1,primary,student,,,s1,
r2,,,u404,primary,student,,,s1,
`;
    const categories = "sourcedId,status,dateLastModified,title\ncat1,,,Homework\n";
    const lineItems = "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax\nli1,,,Quiz 1,,2026-09-01,2026-09-08,k1,cat1,t1,0,10\n";
    const results = "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,comment\nres1,,,li1,u1,fully graded,9,2026-09-09,\n";
    const dir = writeBundle(
      { ...DISTRICT, "users.csv": users12, "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\ne1,,,k1,s1,u1,student,false,,\n", "roles.csv": roles, "categories.csv": categories, "lineItems.csv": lineItems, "results.csv": results },
      { manifest: undefined },
    );
    writeFileSync(join(dir, "manifest.csv"), readFileSync(join(dir, "manifest.csv"), "utf8").replace("oneroster.version,1.1", "oneroster.version,1.2"));
    const job = await run(dir);
    expect(job.counts.roles).toMatchObject({ created: 1, errors: 1 });
    expect(job.counts.results!.created).toBe(1);
    expect(recordsOf(store, "strata", "users").get("u1")).toMatchObject({ pronouns: "she/her", primaryOrgSourcedId: "s1" });
    expect(recordsOf(store, "strata", "lineItems").get("li1")).toMatchObject({ classSourcedId: "k1", categorySourcedId: "cat1" });
    expect(resultsOf(job.resultsPath).join("\n")).toContain('roles.csv,3,roles,r2,skip,ERROR,"userSourcedId: users ""u404"" is not in this package nor in the store');
  });

  it("warns about a file the manifest declares absent, and ignores it", async () => {
    const job = await run(writeBundle({ ...DISTRICT, "demographics.csv": "sourcedId,status,dateLastModified,birthDate\nu1,,,2010-01-01\n" }, { modes: { "demographics.csv": "absent" } }));
    expect(job.status).toBe("complete");
    expect(resultsOf(job.resultsPath).join("\n")).toContain("demographics.csv,0,manifest,,skip,WARNING,is present but manifest.csv declares file.demographics=absent; the file is ignored");
    expect(recordsOf(store, "strata", "demographics").size).toBe(0);
  });

  it("settles references to rows that arrive later in the same file (a parent org listed after its child)", async () => {
    const orgs = ORGS_CHILD_FIRST;
    const job = await run(writeBundle({ ...DISTRICT, "orgs.csv": orgs }));
    expect(job.counts.orgs).toMatchObject({ created: 4, errors: 1 });
    expect(resultsOf(job.resultsPath).join("\n")).toContain('orgs.csv,5,orgs,s9,skip,ERROR,"parentSourcedId: orgs ""nowhere"" is not in this package nor in the store');
  });
});

const ORGS_CHILD_FIRST = `sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId
s1,,,North High,school,S1,d1
s2,,,South High,school,S2,d1
d1,,,Strata District,district,D1,
s9,,,Nowhere High,school,S9,nowhere
s3,,,East High,school,S3,d1
`;

describe("the job's own record", () => {
  it("keeps an event log of its phases and its end, and its progress", async () => {
    const { jobEvents, loadJob } = await import("../store/jobs.ts");
    const job = await run(writeBundle(DISTRICT));
    expect(jobEvents(store, job.id).map((e) => e.event)).toEqual(["hashing", "staging", "planning", "applying", "complete"]);
    expect(jobEvents(store, job.id).at(-1)).toMatchObject({ event: "complete", message: expect.stringMatching(/^Applied: 17 created/) });
    expect(loadJob(store, job.id)!.progress).toMatchObject({ phase: "applying", rows: 17 });
    const held = await run(writeBundle({ ...DISTRICT, "enrollments.csv": ENROLLMENTS.split("\n").slice(0, 2).join("\n") + "\n" }));
    expect(jobEvents(store, held.id).at(-1)).toMatchObject({ event: "held", held: [expect.stringMatching(/^enrollments: 3 of 4/)] });
  });
});

describe("deletes", () => {
  it("deleting an enrollment of a user deleted earlier needs no valid references", async () => {
    await run(writeBundle(DISTRICT));
    const loose = { thresholds: { deletes: { percent: 50 }, updates: { percent: 75 } } };
    const users = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,familyName\nu3,tobedeleted,2026-11-24T10:00:00Z,true,s2,student,grace,Grace,Hopper\n";
    expect((await run(writeBundle({ "users.csv": users }, { modes: { "users.csv": "delta" } }), loose)).counts.users).toMatchObject({ deleted: 1 });
    const enrollments = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role\ne3,tobedeleted,2026-11-25T10:00:00Z,k2,s2,u3,student\n";
    const job = await run(writeBundle({ "enrollments.csv": enrollments }, { modes: { "enrollments.csv": "delta" } }), loose);
    expect(job.status).toBe("complete");
    expect(job.counts.enrollments).toMatchObject({ deleted: 1, errors: 0 });
    // An upsert pointing at the deleted user is still refused.
    const upsert = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role\ne8,active,2026-11-25T10:00:00Z,k2,s2,u3,student\n";
    const refused = await run(writeBundle({ "enrollments.csv": upsert }, { modes: { "enrollments.csv": "delta" } }), loose);
    expect(refused.counts.enrollments).toMatchObject({ created: 0, errors: 1 });
  });
});
