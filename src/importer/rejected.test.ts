/**
 * A rejected row of a bulk file is still in the file: its record stays as
 * it is, never taken for one the file no longer holds. And a delete names
 * its record and nothing more.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DISTRICT, recordsOf, tempDir, USERS, writeBundle } from "../../test/_bundle.ts";
import { storePerTest } from "../../test/_store.ts";
import type { Store } from "../store/mod.ts";
import { runImport, type ImportRequest } from "./run.ts";

let dataDir: string;
let store: Store;
storePerTest((d, s) => ((dataDir = d), (store = s)));

const run = (paths: string[], extra: Partial<ImportRequest> = {}) =>
  runImport(store, dataDir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths, ...extra });
const results = (path: string) => readFileSync(path, "utf8").trim().split("\n");
const withUser1 = (line: string) => USERS.replace(/^u1,.*$/m, line);

describe("a bulk file's rejected row", () => {
  // u1's row as it is stored, then broken three ways: a bad value, a reference that is nowhere, a field too many.
  // (A row the tokenizer cannot read at all names no sourcedId: its record is taken for gone, and the thresholds judge.)
  const broken = {
    "a value that fails its check": "u1,,,true,s1,bogus,ada,{LDAP:ada},Ada,Lovelace,,1001,ada@example.org,,,,09,",
    "a reference that resolves nowhere": "u1,,,true,s9,student,ada,{LDAP:ada},Ada,Lovelace,,1001,ada@example.org,,,,09,",
    "a field too many": "u1,,,true,s1,student,ada,{LDAP:ada},Ada,Lovelace,,1001,ada@example.org,,,,09,,extra",
  };
  for (const [what, line] of Object.entries(broken)) {
    for (const reprocess of [false, true]) {
      it(`keeps its record as it is: ${what}${reprocess ? ", every row checked" : ", matched against the fingerprints"}`, async () => {
        expect((await run([writeBundle(DISTRICT)])).status).toBe("complete");
        const before = recordsOf(store, "strata", "users").get("u1");
        const job = await run([writeBundle({ ...DISTRICT, "users.csv": withUser1(line) })], { reprocess });
        expect(job.status).toBe("incomplete");
        expect(job.counts.users).toMatchObject({ deleted: 0, errors: 1 });
        const lines = results(job.resultsPath);
        expect(lines.filter((l) => /^users\.csv,\d+,users,u1,/.test(l))).toEqual([expect.stringMatching(/^users\.csv,2,users,u1,skip,ERROR,.+/)]);
        expect(recordsOf(store, "strata", "users").get("u1")).toEqual(before);
      });
    }
  }

  it("still lets the file delete what it no longer holds", async () => {
    await run([writeBundle(DISTRICT)]);
    const usersWithout = withUser1("u1,,,true,s1,bogus,ada,{LDAP:ada},Ada,Lovelace,,1001,ada@example.org,,,,09,").replace(/^u3,.*\n/m, "");
    const job = await run([writeBundle({ ...DISTRICT, "users.csv": usersWithout, "enrollments.csv": DISTRICT["enrollments.csv"]!.replace(/^.*,u3,.*\n/gm, "") })], {
      thresholds: { deletes: { percent: 50 }, updates: { percent: 75 } },
    });
    expect(job.counts.users).toMatchObject({ deleted: 1, errors: 1 });
    const users = recordsOf(store, "strata", "users");
    expect(users.get("u3")!.status).toBe("tobedeleted");
    expect(users.get("u1")!.status).toBe("active");
  });
});

describe("a delete", () => {
  const lenient = { thresholds: { deletes: { percent: 100 }, updates: { percent: 100 } } };

  it("in a OneRoster delta file needs only its sourcedId", async () => {
    await run([writeBundle(DISTRICT)]);
    const delta = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\nu2,tobedeleted,,,,,,,,,,,,,,,,\n,tobedeleted,,,,,,,,,,,,,,,,\n";
    const job = await run([writeBundle({ "users.csv": delta }, { modes: { "users.csv": "delta" } })], lenient);
    const lines = results(job.resultsPath);
    expect(lines).toContain("users.csv,2,users,u2,delete,SUCCESS,");
    expect(lines).toContainEqual(expect.stringMatching(/^users\.csv,3,users,,skip,ERROR,sourcedId: required but empty; a delete must name the record it deletes$/));
    expect(recordsOf(store, "strata", "users").get("u2")!.status).toBe("tobedeleted");
  });

  it("leaves nothing for other rows of the package to refer to, in an earlier file or further down the same one", async () => {
    await run([writeBundle(DISTRICT)]);
    const orgs = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\ns2,tobedeleted,,,,,\n";
    const header = USERS.split("\n")[0];
    const users = [header,
      "u7,,,true,s2,student,u7,,New,Seven,,1007,,,,,09,", // its school is deleted above
      "u8,,,true,s1,student,u8,,New,Eight,,1008,,,,u1,09,", // its agent is deleted below
      "u1,tobedeleted,,,,,,,,,,,,,,,,",
      "u9,,,true,s1,student,u9,,New,Nine,,1009,,,,u2,09,", // all there
    ].join("\n") + "\n";
    const job = await run([writeBundle({ "orgs.csv": orgs, "users.csv": users }, { modes: { "orgs.csv": "delta", "users.csv": "delta" } })], lenient);
    const lines = results(job.resultsPath);
    expect(lines).toContainEqual(expect.stringMatching(/^users\.csv,2,users,u7,skip,ERROR,.*s2/));
    expect(lines).toContainEqual(expect.stringMatching(/^users\.csv,3,users,u8,skip,ERROR,.*u1/));
    expect(lines).toContain("users.csv,5,users,u9,create,SUCCESS,");
    const stored = recordsOf(store, "strata", "users");
    expect([stored.has("u7"), stored.has("u8"), stored.get("u1")!.status, stored.get("u9")!.status]).toEqual([false, false, "tobedeleted", "active"]);
  });

  it("in IMS Enterprise XML (recstatus 3) needs only its sourcedid", async () => {
    const dir = tempDir();
    const person = (id: string, status = "") => `<person${status}><sourcedid><id>${id}</id></sourcedid>${status ? "" : `<userid>${id}</userid><name><fn>A ${id}</fn><n><family>${id}</family><given>A</given></n></name><institutionrole institutionroletype="Student"/>`}</person>`;
    const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<enterprise><group><sourcedid><id>SCH1</id></sourcedid><grouptype><typevalue level="1">School</typevalue></grouptype><description><short>North</short></description></group>${body}</enterprise>\n`;
    writeFileSync(join(dir, "a.xml"), xml(person("P1") + person("P2")));
    writeFileSync(join(dir, "b.xml"), xml(person("P2", ' recstatus="3"')));
    const ims = { format: "ims-xml" as const, feed: "Xml" };
    expect((await run([join(dir, "a.xml")], ims)).counts.users).toMatchObject({ created: 2, errors: 0 });
    const job = await run([join(dir, "b.xml")], { ...ims, ...lenient });
    expect(job.counts.users).toMatchObject({ deleted: 1, errors: 0 });
    expect(results(job.resultsPath)).toContain("b.xml,2,users,P2,delete,SUCCESS,");
    const users = recordsOf(store, "strata", "users");
    expect(users.get("P2")!.status).toBe("tobedeleted");
    expect(users.get("P1")!.status).toBe("active");
  });
});
