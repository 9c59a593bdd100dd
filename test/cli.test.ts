/**
 * The CLI as scripts use it (CONTRACT.md): exit codes, the --json summary,
 * the results file, every format, and the same source under Deno.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DISTRICT, ENROLLMENTS, tempDir, USERS, writeBundle } from "./_bundle.ts";
import { generateDistrict } from "./bench/generate.ts";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "bin", "rosterbox.mjs");
const rosterbox = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT });

describe("rosterbox validate", () => {
  it("exit 0 and the JSON summary of CONTRACT.md for a clean bundle", () => {
    const results = join(tempDir(), "results.csv");
    const r = rosterbox("validate", "--format", "oneroster-csv", writeBundle(DISTRICT), "--json", "--results", results);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ status: "complete", rows: 17, results });
    expect(summary.counts.users).toEqual({ created: 4, updated: 0, deleted: 0, unchanged: 0, errors: 0, warnings: 0 });
    expect(readFileSync(results, "utf8").split("\n")[0]).toBe("file,line,entity,sourcedId,action,status,message");
  });

  it("exit 1 when rows are rejected, with a readable table", () => {
    const r = rosterbox("validate", "--format", "oneroster-csv", writeBundle({ ...DISTRICT, "users.csv": USERS + "u9,,,true,s1,wizard,x,,X,Y,,,,,,,,\n" }));
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^INCOMPLETE: 18 rows/);
    expect(r.stdout).toMatch(/users\s+4\s+0\s+0\s+0\s+1\s+0/);
  });

  it("exit 2 for a file-level failure, naming file and line", () => {
    const r = rosterbox("validate", "--format", "oneroster-csv", writeBundle({ ...DISTRICT, "enrollments.csv": ENROLLMENTS + 'e9,,,"k1' }), "--json");
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "failed", message: expect.stringMatching(/enrollments\.csv line 6: unterminated quoted field/) });
  });

  it("exit 2 with usage for a wrong command line", () => {
    const r = rosterbox("validate", "--format", "excel", "x");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--format must be one of oneroster-csv, ims-xml, delimited/);
  });
});

describe("rosterbox import", () => {
  it("applies, then recognises the same package, then exits 3 when a plan is held", () => {
    const dataDir = tempDir();
    const bundle = writeBundle(DISTRICT);
    const first = rosterbox("import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", bundle, "--json");
    expect(first.status, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.counts.enrollments.created).toBe(4);
    expect(existsSync(summary.results)).toBe(true);
    const second = rosterbox("import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", bundle, "--json");
    expect(JSON.parse(second.stdout).message).toMatch(/identical/);
    const cut = writeBundle({ ...DISTRICT, "enrollments.csv": ENROLLMENTS.split("\n").slice(0, 2).join("\n") + "\n" });
    const held = rosterbox("import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", cut, "--json");
    expect(held.status).toBe(3);
    expect(JSON.parse(held.stdout).status).toBe("held");
    const dry = rosterbox("import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", cut, "--json", "--dry-run", "--change-threshold", "80%");
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout).counts.enrollments.deleted).toBe(3);
  });

  it("removes staging left behind by jobs that ended, and refuses a data dir another process holds", () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, "staging", "20260101T000000Z-gone00"), { recursive: true });
    const r = rosterbox("import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", writeBundle(DISTRICT), "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(dataDir, "staging"))).toEqual([]);
    writeFileSync(join(dataDir, "rosterbox.lock"), String(process.pid));
    const busy = rosterbox("import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", writeBundle(DISTRICT));
    expect(busy.status).toBe(2);
    expect(busy.stderr).toContain(`is in use by process ${process.pid}`);
  });

  it("imports IMS Enterprise XML", () => {
    const xml = join(tempDir(), "strata_2026_11_24.xml");
    writeFileSync(xml, `<?xml version="1.0" encoding="UTF-8"?>
<enterprise>
  <properties><datasource>SIS</datasource><datetime>2026-11-24T02:00:00</datetime></properties>
  <group><sourcedid><id>SCH1</id></sourcedid><grouptype><typevalue level="1">School</typevalue></grouptype><description><short>North High</short></description></group>
  <group><sourcedid><id>CRS1</id></sourcedid><grouptype><typevalue level="2">Course</typevalue></grouptype><description><short>ALG1</short><long>Algebra I</long></description>
    <relationship relation="1"><sourcedid><id>SCH1</id></sourcedid></relationship></group>
  <group><sourcedid><id>SEC1</id></sourcedid><grouptype><typevalue level="3">Section</typevalue></grouptype><description><short>ALG1-1</short><long>Algebra I P1</long></description>
    <relationship relation="1"><sourcedid><id>CRS1</id></sourcedid></relationship><relationship relation="2"><sourcedid><id>SCH1</id></sourcedid></relationship></group>
  <person><sourcedid><id>P1</id></sourcedid><userid>ada</userid><name><fn>Ada Lovelace</fn><n><family>Lovelace</family><given>Ada</given></n></name><email>ada@example.org</email>
    <institutionrole institutionroletype="Student"/></person>
  <membership><sourcedid><id>SEC1</id></sourcedid>
    <member><sourcedid><id>P1</id></sourcedid><idtype>1</idtype><role roletype="01"><status>1</status></role></member></membership>
</enterprise>
`);
    const r = rosterbox("import", "--data-dir", tempDir(), "--tenant", "strata", "--format", "ims-xml", xml, "--json");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const counts = JSON.parse(r.stdout).counts;
    expect(counts.users.created).toBe(1);
    expect(counts.classes.created).toBe(1);
    expect(counts.enrollments.created).toBe(1);
  });

  it("imports a pipe-delimited file through a mapping", () => {
    const dir = tempDir();
    const mapping = join(dir, "mapping.yaml");
    writeFileSync(mapping, `entity: users
delimiter: "|"
fields:
  - { from: "Student Number", to: sourcedId }
  - { from: First, to: givenName }
  - { from: Last, to: familyName, transform: trim }
  - { from: Login, to: username, transform: lower }
  - { from: Active, to: enabledUser, codes: { Y: "true", N: "false" } }
`);
    const file = join(dir, "strata_2026_11_24.txt");
    writeFileSync(file, "Student Number|First|Last|Login|Active\n1001|Ada| Lovelace |ADA|Y\n1002|Alan|Turing|ALAN|Maybe\n");
    const r = rosterbox("import", "--data-dir", join(dir, "data"), "--tenant", "strata", "--format", "delimited", "--mapping", mapping, file, "--json");
    expect(r.status, r.stderr).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary.counts.users).toMatchObject({ created: 1, errors: 1 });
    expect(readFileSync(summary.results, "utf8")).toMatch(/strata_2026_11_24\.txt,3,users,1002,skip,ERROR,.*Maybe/);
  });
});

describe("rosterbox import on a terminal", () => {
  it("shows a progress line on stderr, cleared before the summary; without a terminal, none", async () => {
    // `script` (util-linux, in every Debian) runs the command on a pseudo-terminal.
    const script = spawnSync("script", ["--version"], { encoding: "utf8" });
    if (script.status !== 0) {
      if (process.env.CI) throw new Error("script (util-linux) is missing: install bsdutils");
      console.warn("skipped: install util-linux's script");
      return;
    }
    const bundle = join(tempDir(), "district");
    await generateDistrict(bundle, 8000, { seed: 3 });
    const command = (dataDir: string) => [process.execPath, CLI, "import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", bundle].map((a) => `'${a}'`).join(" ");
    const onTerminal = spawnSync("script", ["-qefc", command(tempDir()), "/dev/null"], { encoding: "utf8", cwd: ROOT });
    expect(onTerminal.status, onTerminal.stdout).toBe(0);
    const updates = onTerminal.stdout.split("\r\x1b[K").slice(1);
    expect(updates.length).toBeGreaterThan(1);
    expect(updates[0]).toMatch(/^hashing: 0 rows \(0 rows\/s\)$/);
    // Rows counted as they are read, and the changes as they are applied.
    expect(updates.some((u) => /^(staging|planning|applying): [1-9][\d,]* rows(, [\d,]+ changed)? \([\d,]+ rows\/s\)$/.test(u))).toBe(true);
    // The line is cleared, and the summary starts on a clean line.
    expect(updates[updates.length - 1]).toMatch(/^COMPLETE: \d+ rows\./);
    const plain = rosterbox("import", "--data-dir", tempDir(), "--tenant", "strata", "--format", "oneroster-csv", bundle);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain("\x1b[K");
    expect(plain.stdout).toMatch(/^COMPLETE: \d+ rows\./);
  });
});

describe("under Deno", () => {
  it("the same source imports a bundle into LMDB with `deno run`, and node reads what it wrote", () => {
    const deno = join(ROOT, "node_modules", ".bin", "deno");
    if (!existsSync(deno)) {
      if (process.env.CI) throw new Error("deno is missing: npm ci installs it (devDependency deno)");
      console.warn("skipped: install deno with npm ci");
      return;
    }
    const dataDir = tempDir();
    const bundle = writeBundle(DISTRICT);
    const r = spawnSync(deno, ["run", "-A", "src/main.ts", "import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", bundle, "--json"], {
      encoding: "utf8", cwd: ROOT, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "complete", rows: 17 });
    const again = rosterbox("import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", bundle, "--json", "--reprocess");
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).counts.users).toMatchObject({ unchanged: 4, created: 0 });
    // A nightly re-import under Deno: unchanged rows passed over by their fingerprints, the changed one's record prefetched and planned.
    const changed = writeBundle({ ...DISTRICT, "users.csv": USERS.replace(",Alan,Turing,", ",Alan M.,Turing,") });
    const nightly = spawnSync(deno, ["run", "-A", "src/main.ts", "import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", changed, "--json"], {
      encoding: "utf8", cwd: ROOT, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
    });
    expect(nightly.status, nightly.stderr).toBe(0);
    expect(nightly.stderr).not.toMatch(/prefetch/i);
    expect(JSON.parse(nightly.stdout).counts.users).toMatchObject({ updated: 1, unchanged: 3, created: 0 });
  });
});

describe("rosterbox config check and hash-password", () => {
  it("a good config: exit 0 and what it configures", () => {
    const r = rosterbox("config", "check", "--config", join(ROOT, "test", "fixtures", "rosterbox.yaml"));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok — 1 tenant\(s\), 2 feed\(s\), 1 export\(s\)/);
  });

  it("a bad config: exit 1, every problem as FILE:LINE: key: message", () => {
    const file = join(tempDir(), "rosterbox.yaml");
    writeFileSync(file, readFileSync(join(ROOT, "test", "fixtures", "rosterbox.yaml"), "utf8").replace("format: delimited", "format: xlsx").replace('"0 3 * * *"', '"at three"'));
    const r = rosterbox("config", "check", "--config", file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:25: tenants[0].feeds[1].format: must be one of: oneroster-csv, ims-xml, delimited`);
    const missing = rosterbox("config", "check", "--config", join(tempDir(), "none.yaml"));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/none\.yaml: cannot be read \(ENOENT\)/);
  });

  it("hash-password prints only a hash that config check accepts", () => {
    const r = spawnSync(process.execPath, [CLI, "hash-password"], { input: "correct horse battery\n", encoding: "utf8", cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$\S+\$\S+\n$/);
    const short = spawnSync(process.execPath, [CLI, "hash-password"], { input: "short\n", encoding: "utf8", cwd: ROOT });
    expect(short.status).toBe(2);
  });
});
