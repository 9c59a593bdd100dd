/**
 * Exports against a real store: mapped files (joins, where, codes,
 * transforms, quoting, BOM, dated names in the school year's folder), deltas
 * from the change log, a test record, skipped rows, retention, the
 * OneRoster bundle round trip, config errors with their lines, and a disk
 * that fills up mid-export (a real write error from a file-size limit).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, parseConfig, type Config, type ExportProfile } from "../src/config/mod.ts";
import { exportCursor, newExportJob, previewExport, pruneExportFiles, runExportJob } from "../src/exporter/mod.ts";
import { runImport } from "../src/importer/run.ts";
import { openStore, type Store } from "../src/store/mod.ts";
import { DISTRICT, recordsOf, tempDir, writeBundle } from "./_bundle.ts";
import { startReceiver } from "./_receiver.ts";
import { CLI } from "./_serve.ts";

const DEMOGRAPHICS = `sourcedId,status,dateLastModified,birthDate,sex
u1,,,2010-12-10,female
u2,,,2010-06-23,male
u3,,,2009-12-09,other
`;

const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function district(extra: Record<string, string> = {}): Promise<{ store: Store; dataDir: string }> {
  const dataDir = join(tempDir("rosterbox-export-"), "data");
  const store = openStore(dataDir);
  stores.push(store);
  const done = await runImport(store, dataDir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [writeBundle({ ...DISTRICT, "demographics.csv": DEMOGRAPHICS, ...extra })] });
  expect(done.status).toBe("complete");
  return { store, dataDir };
}

const REGISTRATIONS: ExportProfile = {
  name: "registrations", entity: "users", where: { role: "student" }, folder: "exports/{schoolYear}", delta: true,
  file: { name: "registrations_{YYYY}{MM}{DD}", extension: "csv", quote_all: true, encoding: "utf-8-bom" },
  fields: [
    { from: "sourcedId", to: "Student ID" },
    { from: "sex", to: "Gender", codes: { male: "M", female: "F" }, default: "X" },
    { from: "birthDate", to: "DOB", transform: "date:MM/DD/YYYY" },
    { from: "familyName", to: "Last Name", transform: "upper" },
    { from: "org.name", to: "School" },
    { from: "middleName", omit: true },
  ],
};

const run = async (store: Store, dataDir: string, profile: ExportProfile, testRecord?: string, now = new Date("2026-11-24T21:00:00Z")) =>
  runExportJob(store, dataDir, newExportJob(store, { tenant: "strata", profile, timeZone: "America/Chicago", ...(testRecord ? { testRecord } : {}) }, "test"), now);

describe("exports", () => {
  it("writes a mapped file with joins, codes and transforms, then only what changed, then nothing", async () => {
    const { store, dataDir } = await district();
    const job = await run(store, dataDir, REGISTRATIONS);
    expect(job.status, job.message).toBe("complete");
    // 2026-11-24 in Chicago; the store's schoolYear session (2026-08-15 … 2027-06-15) says 2027.
    expect(job.exported!.file).toBe("exports/2027/registrations_20261124.csv");
    const text = readFileSync(join(dataDir, "tenants", "strata", job.exported!.file!), "utf8");
    expect(text).toBe([
      '\uFEFF"Student ID","Gender","DOB","Last Name","School"',
      '"u1","F","12/10/2010","LOVELACE","North High"',
      '"u2","M","06/23/2010","TURING","North High"',
      '"u3","X","12/09/2009","HOPPER, JR","South High"',
      "",
    ].join("\r\n"));
    expect(readdirSync(join(dataDir, "tenants", "strata", "exports", "2027"))).toEqual(["registrations_20261124.csv"]);
    const cursor = exportCursor(store, "strata", "registrations");
    expect(cursor).toBeGreaterThan(0);

    // Nothing changed: no file, the job says so.
    const again = await run(store, dataDir, REGISTRATIONS);
    expect(again.status).toBe("complete");
    expect(again.exported!.file).toBeNull();
    expect(again.message).toMatch(/nothing changed since the last export/);

    // One student changes (twice) and a teacher changes: one row, in a second file of the day.
    for (const name of ["Lovelace-King", "King"]) {
      const delta = writeBundle({ "users.csv": DISTRICT["users.csv"]!.replace("Ada,Lovelace", `Ada,${name}`).replace("Emmy,Noether", `Emmy,${name}`) }, { modes: { "users.csv": "delta" } });
      expect((await runImport(store, dataDir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [delta] })).status).toBe("complete");
    }
    const changed = await run(store, dataDir, REGISTRATIONS);
    expect(changed.exported!.file).toBe("exports/2027/registrations_20261124(2).csv");
    expect(readFileSync(join(dataDir, "tenants", "strata", changed.exported!.file!), "utf8").split("\r\n").slice(1)).toEqual(['"u1","F","12/10/2010","KING","North High"', ""]);
    expect(exportCursor(store, "strata", "registrations")).toBeGreaterThan(cursor);

    // A test export of one record: its own file, the cursor where it was.
    const before = exportCursor(store, "strata", "registrations");
    const test = await run(store, dataDir, REGISTRATIONS, "u3");
    expect(test.exported!.file).toBe("exports/2027/registrations_20261124_test_u3.csv");
    expect(exportCursor(store, "strata", "registrations")).toBe(before);

    expect(previewExport(store, "strata", REGISTRATIONS)).toEqual({
      columns: ["Student ID", "Gender", "DOB", "Last Name", "School"],
      rows: [["u1", "F", "12/10/2010", "KING", "North High"], ["u2", "M", "06/23/2010", "TURING", "North High"], ["u3", "X", "12/09/2009", "HOPPER, JR", "South High"]],
      errors: [],
    });

    // Retention: files older than retention_days go; the test file was never tracked.
    expect(pruneExportFiles(store, dataDir, "strata", REGISTRATIONS, Date.now() + 27 * 86_400_000)).toEqual([]);
    expect(pruneExportFiles(store, dataDir, "strata", REGISTRATIONS, Date.now() + 29 * 86_400_000).sort()).toEqual(["exports/2027/registrations_20261124(2).csv", "exports/2027/registrations_20261124.csv"]);
    expect(readdirSync(join(dataDir, "tenants", "strata", "exports", "2027"))).toEqual(["registrations_20261124_test_u3.csv"]);
  });

  it("joins an enrollment to its user and class, overwrites a fixed name, and skips a row whose code has no mapping", async () => {
    const { store, dataDir } = await district();
    const roster: ExportProfile = {
      name: "roster", entity: "enrollments", overwrite: true, file: { name: "roster", delimiter: "|", quote: "", line_ending: "lf", header: false },
      fields: [
        { from: "user.identifier", to: "Student Number" },
        { from: "class.classCode", to: "Section" },
        { from: "role", to: "Role", codes: { student: "S" } },
        { from: "beginDate", to: "Start", transform: "date:YYYYMMDD" },
      ],
    };
    const job = await run(store, dataDir, roster);
    expect(job.status).toBe("incomplete");
    expect(job.exported!.file).toBe("exports/roster.csv");
    expect(readFileSync(join(dataDir, "tenants", "strata", "exports", "roster.csv"), "utf8")).toBe("1001|ALG1-1|S|20260815\n1002|ALG1-1|S|20260815\n1003|BIO-2|S|20260815\n");
    expect(job.message).toMatch(/3 rows written to exports\/roster\.csv; 1 rows skipped/);
    const results = readFileSync(job.resultsPath, "utf8");
    expect(results).toMatch(/roster\.csv,0,enrollments,e4,skip,ERROR,.*teacher/);
    // The fixed name is replaced, not multiplied.
    await run(store, dataDir, roster);
    expect(readdirSync(join(dataDir, "tenants", "strata", "exports"))).toEqual(["roster.csv"]);
  });

  it("exports the store as a OneRoster bundle that imports into an empty appliance as the same records", async () => {
    // An extension column the SIS sends (kept on the record) must survive the round trip too.
    const users = DISTRICT["users.csv"]!.trimEnd().split("\n").map((line, i) => line + (i === 0 ? ",metadata.locker" : line.startsWith("u1,") ? ",L-17" : ","));
    const extension = { "users.csv": users.join("\n") + "\n" };
    const { store, dataDir } = await district(extension);
    const job = await run(store, dataDir, { name: "oneroster", format: "oneroster-csv" });
    expect(job.status, job.message).toBe("complete");
    const bundle = join(dataDir, "tenants", "strata", job.exported!.file!);
    expect(readFileSync(join(bundle, "manifest.csv"), "utf8")).toMatch(/file\.users,bulk\nfile\.roles,absent|file\.users,bulk/);
    const copy = openStore(join(tempDir("rosterbox-copy-"), "data"));
    stores.push(copy);
    const imported = await runImport(copy, join(tempDir(), "d"), { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [bundle] });
    expect(imported.status, imported.message).toBe("complete");
    for (const entity of ["orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics"]) {
      expect([entity, recordsOf(copy, "strata", entity)]).toEqual([entity, recordsOf(store, "strata", entity)]);
    }
    expect(recordsOf(copy, "strata", "users").get("u1")!["metadata.locker"]).toBe("L-17");
  });

  it("pushes the file to a remote SFTP server that proves its host key, and keeps the cursor when it cannot", async () => {
    const { store, dataDir } = await district();
    // The receiving end: a real SFTP server (rosterbox's own), one tenant with a feed folder.
    const { server, key, inbox } = await startReceiver();
    try {
      const fingerprint = server.fingerprints[0]!.match(/SHA256:\S+/)![0];
      const profile: ExportProfile = {
        name: "pushed", entity: "users", delta: true, file: { name: "pushed_{YYYY}{MM}{DD}" },
        fields: [{ from: "identifier", to: "Number" }],
        push: { host: "127.0.0.1", port: server.port, username: "rosterbox", private_key: key, host_fingerprint: fingerprint, folder: "/Inbox" },
      };
      const wrong = await run(store, dataDir, { ...profile, push: { ...profile.push!, host_fingerprint: `SHA256:${"A".repeat(43)}` } });
      expect(wrong.status).toBe("failed");
      expect(wrong.message).toMatch(/presented host key SHA256:\S+, not the configured SHA256:A{43}; nothing was sent; the file stays in exports\//);
      expect(exportCursor(store, "strata", "pushed")).toBe(0);
      expect(readdirSync(inbox)).toEqual([]);

      const sent = await run(store, dataDir, profile);
      expect(sent.status, sent.message).toBe("complete");
      expect(sent.message).toMatch(/^4 rows written to exports\/pushed_20261124\(2\)\.csv and sent to 127\.0\.0\.1:\/Inbox\/pushed_20261124\(2\)\.csv$/);
      expect(readFileSync(join(inbox, "pushed_20261124(2).csv"), "utf8")).toBe("Number\r\n2001\r\n1001\r\n1002\r\n1003\r\n"); // change order: the import applied t1u first
      expect(exportCursor(store, "strata", "pushed")).toBeGreaterThan(0);
      // The file the failed push left in exports/ is pruned with the others when its time comes.
      expect(pruneExportFiles(store, dataDir, "strata", profile, Date.now() + 29 * 86_400_000).sort()).toEqual(["exports/pushed_20261124(2).csv", "exports/pushed_20261124.csv"]);
    } finally {
      await server.close();
    }
  });

  it("refuses unknown fields, transforms, schedules and folders outside exports/ in config check, with their lines", () => {
    const yaml = `data_dir: /tmp/x
tenants:
  - id: strata
    exports:
      - name: a
        entity: users
        schedule: "every night"
        folder: "../../etc"
        fields:
          - { from: shoeSize, to: Shoe }
          - { from: givenName, to: First, transform: "shout" }
      - name: b
        entity: enrollments
        folder: "results"
        file: { name: "x/{weekday}" }
        fields:
          - { from: user.shoeSize, to: S }
`;
    let message = "";
    try {
      parseConfig(yaml, "rosterbox.yaml", {});
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/rosterbox\.yaml:7: tenants\[0\]\.exports\[0\]\.schedule: "every night" is not a cron schedule/);
    expect(message).toMatch(/rosterbox\.yaml:8: tenants\[0\]\.exports\[0\]\.folder: "\.\.\/\.\.\/etc" has a part "\.\." that is not a plain folder name/);
    expect(message).toMatch(/rosterbox\.yaml:11: tenants\[0\]\.exports\[0\]\.fields\[1\]\.transform: .*shout/);
    expect(message).toMatch(/rosterbox\.yaml:14: tenants\[0\]\.exports\[1\]\.folder: "results" must be inside exports\//);
    expect(message).toMatch(/rosterbox\.yaml:15: tenants\[0\]\.exports\[1\]\.file\.name: "x\/\{weekday\}" must be a plain file name/);
    // Unknown names are checked once the mapping itself is sound (export b); a's transform error comes first.
    expect(message).toMatch(/rosterbox\.yaml:17: tenants\[0\]\.exports\[1\]\.fields\[0\]\.from: "user\.shoeSize": users has no field "shoeSize"/);
  });

  it("leaves no partial file and no moved cursor when the disk fills during an export", async () => {
    const { store, dataDir } = await district();
    const long = "n".repeat(200);
    const many = Array.from({ length: 3000 }, (_, i) => `x${i},,,true,s1,student,x${i},,${long}${i},Family${i},,${5000 + i},x${i}@example.org,,,,09,`).join("\n") + "\n";
    const bulk = writeBundle({ "users.csv": DISTRICT["users.csv"]! + many }, { modes: { "users.csv": "delta" } });
    expect((await runImport(store, dataDir, { tenant: "strata", feed: "OneRoster", format: "oneroster-csv", paths: [bulk] })).status).toBe("complete");
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const config = join(dataDir, "..", "rosterbox.yaml");
    // 25 columns of a 200-character name: the file (≈15 MB) outgrows the limit below long before the store does.
    writeFileSync(config, `data_dir: ${dataDir}
tenants:
  - id: strata
    exports:
      - name: everyone
        entity: users
        delta: true
        fields:
          - { from: sourcedId, to: id }
${Array.from({ length: 25 }, (_, i) => `          - { from: givenName, to: g${i} }`).join("\n")}
`);
    const storeBytes = statSync(join(dataDir, "store", "data.mdb")).size;
    const limitKiB = Math.ceil(Math.max(2 * storeBytes, 4 * 2 ** 20) / 1024);
    expect(limitKiB * 1024).toBeLessThan(15e6);
    // The file-size limit makes the kernel refuse the export's writes past it (EFBIG), as a full disk refuses them (ENOSPC).
    const full = spawnSync("bash", ["-c", `ulimit -f ${limitKiB}; exec "${process.execPath}" "${CLI}" export run --config "${config}" strata everyone`], { encoding: "utf8" });
    expect(full.status, full.stderr).toBe(2);
    expect(JSON.parse(full.stdout).message).toMatch(/the disk is full \(EFBIG\); no file was left and the cursor did not move/);
    const exports = join(dataDir, "tenants", "strata", "exports");
    expect(readdirSync(exports)).toEqual([]);
    const reopened = openStore(dataDir);
    expect(exportCursor(reopened, "strata", "everyone")).toBe(0);
    await reopened.close();

    const ok = spawnSync(process.execPath, [CLI, "export", "run", "--config", config, "strata", "everyone"], { encoding: "utf8" });
    expect(ok.status, ok.stderr).toBe(0);
    const file = JSON.parse(ok.stdout).file as string;
    expect(readFileSync(join(dataDir, "tenants", "strata", file), "utf8").split("\r\n")).toHaveLength(1 + 3004 + 1);
    expect(readdirSync(exports)).toEqual([file.slice("exports/".length)]);
  });
});
