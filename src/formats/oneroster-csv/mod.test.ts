/**
 * Tests of the OneRoster bundle reader around vendor files (files that are
 * not OneRoster entities): they ride along and never fail the bundle, and a
 * manifest can turn them off. Bundles are real folders in temp dirs.
 *
 * @module
 */

import { describe, expect, it } from "vitest";
import { ORGS, recordsOf, USERS, writeBundle } from "../../../test/_bundle.ts";
import { storePerTest } from "../../../test/_store.ts";
import { runImport } from "../../importer/run.ts";
import type { Store } from "../../store/mod.ts";
import { FileError, type SourceEvent, type SourceIssue, type SourceRow } from "../types.ts";
import { readOneRosterBundle } from "./mod.ts";

async function eventsOf(dir: string): Promise<SourceEvent[]> {
  const out: SourceEvent[] = [];
  for await (const batch of readOneRosterBundle([dir])) out.push(...batch);
  return out;
}

const rowsOf = (events: SourceEvent[], entity: string) => events.filter((e): e is SourceRow => e.kind === "row" && e.entity === entity);
const issuesOf = (events: SourceEvent[], file: string) => events.filter((e): e is SourceIssue => e.kind === "issue" && e.file === file);
const filesOf = (events: SourceEvent[]) => events.flatMap((e) => (e.kind === "file" ? [e.file] : []));

describe("users in a OneRoster 1.1 bundle", () => {
  const header = USERS.split("\n")[0]!;
  const manifest = (version: string) => `propertyName,value\nmanifest.version,1.0\noneroster.version,${version}\nfile.users,delta\n`;
  it("must carry their orgs and role, which 1.2 moves to roles.csv; a delete needs neither", async () => {
    const users = [header,
      "u1,,,true,s1,student,ada,,Ada,Lovelace,,1001,,,,,09,",
      "u2,,,true,,student,alan,,Alan,Turing,,1002,,,,,09,",
      "u3,,,true,s1,,grace,,Grace,Hopper,,1003,,,,,10,",
      "u4,tobedeleted,,,,,,,,,,,,,,,,",
    ].join("\n") + "\n";
    const events = await eventsOf(writeBundle({ "users.csv": users }, { manifest: manifest("1.1") }));
    expect(rowsOf(events, "users").map((r) => r.fields.sourcedId)).toEqual(["u1", "u4"]);
    const why = "OneRoster 1.1 users carry their orgs and role (1.2 moves them to roles.csv)";
    expect(issuesOf(events, "users.csv").map((i) => [i.line, i.sourcedId, i.severity, i.message])).toEqual([
      [3, "u2", "ERROR", `orgSourcedIds: required but empty; ${why}`],
      [4, "u3", "ERROR", `role: required but empty; ${why}`],
    ]);
    // In 1.2 the same rows are users without them.
    const v12 = await eventsOf(writeBundle({ "users.csv": users }, { manifest: manifest("1.2") }));
    expect(rowsOf(v12, "users").map((r) => r.fields.sourcedId)).toEqual(["u1", "u2", "u3", "u4"]);
  });

  it("must have the columns: a 1.1 users.csv without a role column is the wrong file", async () => {
    const without = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,username,givenName,familyName\nu1,,,true,s1,ada,Ada,Lovelace\n";
    await expect(eventsOf(writeBundle({ "users.csv": without }, { manifest: manifest("1.1") }))).rejects.toThrow(
      new FileError("users.csv", 1, "wrong header: no role column; OneRoster 1.1 users carry their orgs and role (1.2 moves them to roles.csv)"));
  });
});

describe("a vendor file's header", () => {
  it("is repaired, not fatal: a blank column is named column<N>, a repeated one gets _2; one warning per file", async () => {
    const dir = writeBundle({
      "users.csv": USERS,
      "guardians.csv": "sourcedId,name,\ng1,A,x\n",
      "student_attributes.csv": "sourcedId,name,name\ns1,A,B\n",
    });
    const events = await eventsOf(dir);
    expect(rowsOf(events, "users")).toHaveLength(4);
    expect(rowsOf(events, "guardians").map((r) => r.fields)).toEqual([{ sourcedId: "g1", name: "A", column3: "x" }]);
    expect(rowsOf(events, "student_attributes").map((r) => r.fields)).toEqual([{ sourcedId: "s1", name: "A", name_2: "B" }]);
    const repaired = (file: string) => issuesOf(events, file).filter((i) => i.line === 1);
    expect(repaired("guardians.csv")).toEqual([
      expect.objectContaining({ severity: "WARNING", entity: "guardians", message: 'header of guardians.csv repaired: column 3 has no name, read as "column3"' }),
    ]);
    expect(repaired("student_attributes.csv")).toEqual([
      expect.objectContaining({ severity: "WARNING", message: 'header of student_attributes.csv repaired: column 3 repeats "name", read as "name_2"' }),
    ]);
  });

  it("never gives a repaired column a name another column has", async () => {
    const dir = writeBundle({ "users.csv": USERS, "extras.csv": "id,,column2,x,x,x_2\n1,a,b,c,d,e\n" });
    const events = await eventsOf(dir);
    expect(rowsOf(events, "extras").map((r) => r.fields)).toEqual([{ sourcedId: "1", column2_2: "a", column2: "b", x: "c", x_3: "d", x_2: "e" }]);
    expect(issuesOf(events, "extras.csv").filter((i) => i.line === 1)).toHaveLength(1);
  });

  it("stays fatal in a OneRoster entity file", async () => {
    const dir = writeBundle({ "users.csv": USERS.replace("password\n", "password,\n") });
    await expect(eventsOf(dir)).rejects.toThrow(FileError);
    await expect(eventsOf(dir)).rejects.toThrow(/users\.csv line 1: column 19 of the header has no name/);
  });
});

describe("a vendor file that cannot be read", () => {
  it("is skipped with one WARNING when nothing of it can be read; the bundle goes on", async () => {
    const dir = writeBundle({
      "users.csv": USERS,
      "guardians.csv": new Uint8Array([0x73, 0x6f, 0xff, 0x0a, 0x31, 0x0a]),
      "empty.csv": "",
      "quoted.csv": 'sourcedId,"name\n',
    });
    const events = await eventsOf(dir);
    expect(rowsOf(events, "users")).toHaveLength(4);
    for (const [file, reason] of [["guardians.csv", /invalid UTF-8/], ["empty.csv", /is empty/], ["quoted.csv", /unterminated quoted field/]] as const) {
      const skipped = issuesOf(events, file).filter((i) => i.message.startsWith("cannot be read"));
      expect(skipped, file).toEqual([expect.objectContaining({ severity: "WARNING", message: expect.stringMatching(reason) })]);
      expect(skipped[0]!.message).toMatch(/it is skipped and the rest of the bundle imported$/);
    }
  });

  it("breaking after some rows: those rows stand, the rest is one ERROR", async () => {
    const dir = writeBundle({ "users.csv": USERS, "guardians.csv": 'sourcedId,name\ng1,A\ng2,"B\n' });
    const events = await eventsOf(dir);
    expect(rowsOf(events, "guardians").map((r) => r.fields.sourcedId)).toEqual(["g1"]);
    expect(issuesOf(events, "guardians.csv").filter((i) => i.severity === "ERROR")).toEqual([
      expect.objectContaining({ line: 3, entity: "guardians", message: expect.stringMatching(/^cannot be read from line 3 on \(unterminated quoted field/) }),
    ]);
  });
});

describe("a vendor file the manifest declares absent", () => {
  it("is ignored, as the one warning about it says", async () => {
    const dir = writeBundle({ "users.csv": USERS, "guardians.csv": "sourcedId,name\ng1,A\n" }, { modes: { "guardians.csv": "absent" } });
    const events = await eventsOf(dir);
    expect(filesOf(events)).toEqual(["users.csv"]);
    expect(rowsOf(events, "guardians")).toEqual([]);
    expect(issuesOf(events, "guardians.csv").map((i) => i.message)).toEqual(["is present but manifest.csv declares file.guardians=absent; the file is ignored"]);
  });
});

describe("whole imports with vendor files", () => {
  let dataDir: string;
  let store: Store;
  storePerTest((d, s) => ((dataDir = d), (store = s)));
  const run = (bundle: string) => runImport(store, dataDir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [bundle] });

  it("a broken vendor header neither fails the job nor keeps users.csv out", async () => {
    const job = await run(writeBundle({ "orgs.csv": ORGS, "users.csv": USERS, "guardians.csv": "sourcedId,name,name,\ng1,A,B,z\n" }));
    expect(job.status).toBe("complete");
    expect(recordsOf(store, "strata", "users").size).toBe(4);
    expect(recordsOf(store, "strata", "guardians").get("g1")).toMatchObject({ name: "A", name_2: "B", column4: "z" });
  });

  it("a vendor file declared absent stores nothing", async () => {
    const job = await run(writeBundle({ "orgs.csv": ORGS, "users.csv": USERS, "guardians.csv": "sourcedId,name\ng1,A\n" }, { modes: { "guardians.csv": "absent" } }));
    expect(job.status).toBe("complete");
    expect(recordsOf(store, "strata", "guardians").size).toBe(0);
    expect(recordsOf(store, "strata", "users").size).toBe(4);
  });
});
