/**
 * `rosterbox serve` as on-prem IT runs it: a real process, a real config,
 * files dropped into the tenant's folder and a watched share, manifests
 * moving through their states (CONTRACT.md), killed with SIGKILL mid-import
 * and started again.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DISTRICT, tempDir } from "./_bundle.ts";
import { CLI, spawnServe } from "./_serve.ts";
import { until } from "./_until.ts";
import { generateDistrict } from "./bench/generate.ts";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

interface Appliance {
  dataDir: string;
  share: string;
  config: string;
  lines: () => Record<string, unknown>[];
  output: () => string;
  child: ChildProcess;
}

function start(dataDir: string, share: string, extraFeeds = ""): Promise<Appliance> {
  const config = join(dataDir, "..", `${Date.now()}-rosterbox.yaml`);
  writeFileSync(config, `data_dir: ${dataDir}
retention: { archive_days: 60, schedule: "* * * * * *" }
tenants:
  - id: strata
    feeds:
      - { folder: OneRoster, format: oneroster-csv, submission: manifest }
      - { folder: Share, format: oneroster-csv, submission: manifest, watch: ${share} }
${extraFeeds}`);
  const { child, lines, output } = spawnServe(config);
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (lines().some((l) => l.event === "ready")) {
        clearInterval(timer);
        resolve({ dataDir, share, config, lines, output, child });
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`serve exited: ${output()}`));
      }
    }, 20);
  });
}


const md5 = (text: string | Buffer) => createHash("md5").update(text).digest("hex");

/** Drops a bundle's files, then its manifest (the SIS's order). */
function drop(folder: string, files: Record<string, string>, manifest: string, checksums = true): void {
  const all: Record<string, string> = { ...files, "manifest.csv": "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n" + Object.keys(files).map((f) => `file.${f.replace(".csv", "")},bulk`).join("\n") + "\n" };
  for (const [name, content] of Object.entries(all)) writeFileSync(join(folder, name), content);
  const entries = Object.entries(all).map(([name, content]) => `  <file name="${name}" checksum="${checksums ? md5(content) : ""}" checksumhashtype="${checksums ? "md5" : "none"}"/>`);
  writeFileSync(join(folder, manifest), `<manifest>\n${entries.join("\n")}\n</manifest>\n`);
}

describe("rosterbox serve", () => {
  it("imports manifest submissions from the drop folder and a watched share, and refuses bad ones with their states", async () => {
    const base = tempDir();
    const app = await start(join(base, "data"), join(base, "share"));
    mkdirSync(app.share, { recursive: true });
    const folder = join(app.dataDir, "tenants", "strata", "OneRoster");
    expect(existsSync(folder)).toBe(true);
    expect(existsSync(join(app.dataDir, "tenants", "strata", "results"))).toBe(true);

    drop(folder, DISTRICT, "nightly.done");
    const done = await until("the job", () => app.lines().find((l) => l.event === "job" && l.status === "complete"));
    await until("the manifest removed", () => !existsSync(join(folder, "nightly.PROCESSING")) && !existsSync(join(folder, "nightly.done")));
    expect(readdirSync(folder)).toEqual([]);
    const results = readFileSync(join(app.dataDir, "tenants", "strata", "results", `${done.id}.csv`), "utf8");
    expect(results.split("\n")[0]).toBe("file,line,entity,sourcedId,action,status,message");
    expect(results).toContain("users.csv,2,users,u1,create,SUCCESS,");
    expect(readdirSync(join(app.dataDir, "archive", "strata", String(done.id))).sort()).toContain("users.csv");

    // The same files again from the share: recognised, nothing changes.
    drop(app.share, DISTRICT, "again.done");
    await until("the share's job", () => app.lines().filter((l) => l.event === "job" && l.status === "complete").length === 2);
    await until("the share emptied", () => readdirSync(app.share).length === 0);

    writeFileSync(join(folder, "broken.done"), "this is not xml");
    drop(folder, { "users.csv": "sourcedId\n" }, "mismatch.done");
    writeFileSync(join(folder, "users.csv"), "sourcedId,status\nchanged after the manifest\n");
    mkdirSync(join(app.dataDir, "tenants", "strata", "Unknown"));
    writeFileSync(join(app.dataDir, "tenants", "strata", "Unknown", "x.done"), "<manifest><file name='a.csv'/></manifest>");
    writeFileSync(join(app.dataDir, "tenants", "strata", "Unknown", "lost.csv"), "x");
    writeFileSync(join(app.dataDir, "tenants", "strata", "stray.csv"), "x");
    await until("INVALIDSCHEMA", () => existsSync(join(folder, "broken.INVALIDSCHEMA")));
    await until("CONTAINSINVALIDFILES", () => existsSync(join(folder, "mismatch.CONTAINSINVALIDFILES")));
    await until("IMPORTCONFIGMISSING", () => existsSync(join(app.dataDir, "tenants", "strata", "Unknown", "x.IMPORTCONFIGMISSING")));
    expect(readFileSync(join(folder, "mismatch.CONTAINSINVALIDFILES"), "utf8")).toMatch(/<file name="users.csv" checksum="[0-9a-f]{32}" checksumhashtype="md5" INVALID="checksum differs: the manifest says [0-9a-f]{32}, the file's MD5 is [0-9a-f]{32}"\/>/);
    await until("the stray reported", () => app.lines().some((l) => l.event === "drop" && String(l.message).includes("stray.csv is at the root")));
    await until("the lost file reported", () => app.lines().some((l) => l.event === "drop" && l.message === "lost.csv is in Unknown/, which is not a feed folder; nothing reads it"));
    expect(app.lines().find((l) => l.state === "INVALIDSCHEMA")!.message).toMatch(/broken\.done line 1: not well-formed XML/);

    // Retention (scheduled every second here): archives past 60 days go, the fresh one stays.
    const old = join(app.dataDir, "archive", "strata", "20260101T000000Z-old000");
    mkdirSync(old, { recursive: true });
    utimesSync(old, new Date(Date.now() - 61 * 86_400_000), new Date(Date.now() - 61 * 86_400_000));
    await until("the old archive pruned", () => !existsSync(old), 5_000);
    expect(existsSync(join(app.dataDir, "archive", "strata", String(done.id)))).toBe(true);
    // The log line is written after the removal, so it may trail the directory check.
    await until("the removal logged", () => app.lines().some((l) => l.event === "retention" && l.removed === 1));

    app.child.kill("SIGTERM");
    await until("a clean stop", () => app.child.exitCode === 0);
  });

  it("a held job waits in X.PROCESSING; jobs approve (serve running) applies it, jobs cancel (serve stopped) ends it as X.FAILED", async () => {
    const base = tempDir();
    let app = await start(join(base, "data"), join(base, "share"));
    const folder = join(app.dataDir, "tenants", "strata", "OneRoster");
    drop(folder, DISTRICT, "first.done");
    await until("the first import", () => app.lines().some((l) => l.event === "job" && l.status === "complete"));
    const cut = { ...DISTRICT, "enrollments.csv": DISTRICT["enrollments.csv"]!.split("\n").slice(0, 2).join("\n") + "\n" };
    await until("the folder emptied", () => readdirSync(folder).length === 0);
    drop(folder, cut, "cut.done");
    const held = await until("the hold", () => app.lines().find((l) => l.event === "job" && l.status === "held"));
    expect(held.message).toMatch(/enrollments: 3 of 4 records \(75\.0%\) would be deleted; the limit is 20%/);
    expect(existsSync(join(folder, "cut.PROCESSING"))).toBe(true);
    const approve = spawnSync(process.execPath, [CLI, "jobs", "approve", "--config", app.config, String(held.id)], { encoding: "utf8" });
    expect(approve.status, approve.stderr).toBe(0);
    expect(approve.stdout).toMatch(/approval of .* recorded; the running appliance carries it out/);
    const applied = await until("the approved job", () => app.lines().find((l) => l.event === "job" && l.id === held.id && l.status === "complete"));
    expect((applied.counts as Record<string, { deleted: number }>).enrollments!.deleted).toBe(3);
    await until("the manifest removed", () => readdirSync(folder).length === 0);

    drop(folder, { ...DISTRICT, "users.csv": DISTRICT["users.csv"]!.split("\n").slice(0, 2).join("\n") + "\n" }, "cut2.done");
    const held2 = await until("the second hold", () => app.lines().find((l) => l.event === "job" && l.status === "held" && l.id !== held.id));
    app.child.kill("SIGTERM");
    await until("a clean stop", () => app.child.exitCode === 0);
    const cancel = spawnSync(process.execPath, [CLI, "jobs", "cancel", "--config", app.config, String(held2.id)], { encoding: "utf8" });
    expect(cancel.status, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/: cancelled\./);
    expect(existsSync(join(folder, "cut2.FAILED"))).toBe(true);
    const again = spawnSync(process.execPath, [CLI, "jobs", "approve", "--config", app.config, String(held2.id)], { encoding: "utf8" });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/is cancelled, not held/);
    app = await start(app.dataDir, app.share);
    app.child.kill("SIGTERM");
  });

  it("a quiet feed takes each file once it has stopped changing, and never one still being written", async () => {
    const base = tempDir();
    const share = join(base, "xml-share");
    mkdirSync(share, { recursive: true });
    const app = await start(join(base, "data"), join(base, "share"), `      - { folder: Xml, format: ims-xml, submission: quiet, quiet_seconds: 3, watch: ${share} }\n`);
    const xml = `<enterprise><person><sourcedid><id>P1</id></sourcedid><userid>ada</userid><name><n><family>Lovelace</family><given>Ada</given></n></name></person>`;
    const file = join(share, "strata_2026_11_24.xml");
    writeFileSync(file, xml);
    // Still being written for 3 s: growing every 300 ms (the quiet time is 3 s, so only a 3 s stall could fool it).
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 300));
      expect(existsSync(file)).toBe(true);
      writeFileSync(file, xml + "\n".repeat(i + 1));
    }
    writeFileSync(file, xml + "</enterprise>\n");
    const done = await until("the quiet file's job", () => app.lines().find((l) => l.event === "job" && l.status === "complete"));
    expect((done.counts as Record<string, { created: number }>).users!.created).toBe(1);
    expect(readdirSync(share)).toEqual([]);
    expect(existsSync(join(app.dataDir, "tenants", "strata", "results", `${done.id}.csv`))).toBe(true);
    app.child.kill("SIGTERM");
  });

  it("killed with SIGKILL again and again in the middle of an import, started again: the job finishes once and the manifest ends removed", async () => {
    const base = tempDir();
    const bundle = tempDir();
    await generateDistrict(bundle, 12_000, { seed: 3 });
    const files = Object.fromEntries(readdirSync(bundle).filter((f) => f !== "manifest.csv").map((f) => [f, readFileSync(join(bundle, f), "utf8")]));
    let app = await start(join(base, "data"), join(base, "share"));
    const folder = join(app.dataDir, "tenants", "strata", "OneRoster");
    drop(folder, files, "big.done", false);
    // Each life gets a little further: killed at 0.4 s, 1.2 s and 2.0 s into its run.
    for (const ms of [400, 1200, 2000]) {
      await until("the import under way", () => app.lines().some((l) => l.event === "job" && l.status === "running"));
      await new Promise((r) => setTimeout(r, ms));
      if (app.lines().some((l) => l.event === "job" && l.status === "complete")) break;
      app.child.kill("SIGKILL");
      await until("the kill", () => app.child.exitCode !== null || app.child.signalCode !== null);
      expect(existsSync(join(folder, "big.PROCESSING")) || existsSync(join(folder, "big.done"))).toBe(true);
      app = await start(app.dataDir, app.share);
    }
    const done = await until("the job's end", () => app.lines().find((l) => l.event === "job" && l.status === "complete"), 180_000).catch((err: Error) => {
      throw new Error(`${err.message}; serve's output:\n${app.output().slice(-4000)}`);
    });
    await until("the manifest removed", () => readdirSync(folder).length === 0);
    const counts = done.counts as Record<string, { created: number; updated: number; errors: number }>;
    expect(counts.enrollments!.created).toBeGreaterThan(70_000);
    expect(Object.values(counts).every((c) => c.errors === 0 && c.updated === 0)).toBe(true);
    // Exactly one job, and the store holds each row once: the change log counts one change per row.
    const { openStore } = await import("../src/store/mod.ts");
    const { allJobs } = await import("../src/store/jobs.ts");
    const { readChanges } = await import("../src/store/changes.ts");
    app.child.kill("SIGTERM");
    await until("a clean stop", () => app.child.exitCode === 0);
    const store = openStore(app.dataDir);
    expect(allJobs(store).map((j) => j.status)).toEqual(["complete"]);
    const created = Object.values(counts).reduce((n, c) => n + c.created, 0);
    expect([...readChanges(store, "strata")].length).toBe(created);
    await store.close();
  }, 300_000);

  it("a job that ended as serve stopped, before its tidy-up, is tidied and its end logged at the next start", async () => {
    const base = tempDir();
    let app = await start(join(base, "data"), join(base, "share"));
    const folder = join(app.dataDir, "tenants", "strata", "OneRoster");
    drop(folder, DISTRICT, "nightly.done");
    const done = await until("the job", () => app.lines().find((l) => l.event === "job" && l.status === "complete"));
    await until("the manifest removed", () => readdirSync(folder).length === 0);
    app.child.kill("SIGTERM");
    await until("a clean stop", () => app.child.exitCode === 0);
    // Put the state back as a stop between the job's end and its tidy-up leaves it.
    const { openStore } = await import("../src/store/mod.ts");
    const { loadJob, saveJob } = await import("../src/store/jobs.ts");
    const store = openStore(app.dataDir);
    const job = loadJob(store, String(done.id))!;
    const published = join(app.dataDir, "tenants", "strata", "results", `${job.id}.csv`);
    const pending = join(app.dataDir, "results", `${job.id}.csv`);
    mkdirSync(join(app.dataDir, "results"), { recursive: true });
    renameSync(published, pending);
    writeFileSync(join(folder, "nightly.PROCESSING"), "<manifest/>");
    saveJob(store, { ...job, resultsPath: pending, submission: { ...job.submission!, finalized: false } });
    await store.close();

    app = await start(app.dataDir, app.share);
    const recovered = await until("the end logged again", () => app.lines().find((l) => l.event === "job" && l.id === job.id && l.recovered === true));
    expect(recovered).toMatchObject({ status: "complete", tenant: "strata" });
    expect(existsSync(published)).toBe(true);
    expect(readdirSync(folder)).toEqual([]);
    app.child.kill("SIGTERM");
    await until("a clean stop", () => app.child.exitCode === 0);
  });

  it("refuses to start on a config with problems, naming them", () => {
    const dir = tempDir();
    const config = join(dir, "rosterbox.yaml");
    writeFileSync(config, `data_dir: ${join(dir, "data")}\ntenants:\n  - id: strata\n    feeds:\n      - { folder: OneRoster, format: csv }\n`);
    const r = spawnSync(process.execPath, [CLI, "serve", "--config", config], { encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("the config has problems; nothing was started");
    expect(r.stderr).toContain(`${config}:5: tenants[0].feeds[0].format: must be one of: oneroster-csv, ims-xml, delimited`);
    expect(existsSync(join(dir, "data"))).toBe(false);
  });
});
