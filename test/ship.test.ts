/**
 * What on-prem IT installs: the systemd unit (verified and scored by
 * systemd-analyze), the health check systemd and the container wait on,
 * and backup (while serving) and restore of the data dir.
 *
 * Needs systemd-analyze (apt-get install systemd): skipped locally without
 * it, a failure in CI.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../src/store/mod.ts";
import { DISTRICT, recordsOf, tempDir, writeBundle } from "./_bundle.ts";
import { CLI, spawnServe } from "./_serve.ts";
import { until } from "./_until.ts";

const UNIT = join(import.meta.dirname, "..", "systemd", "rosterbox.service");
const haveAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;
if (!haveAnalyze && process.env.CI) throw new Error("systemd-analyze is missing: apt-get install systemd");
if (!haveAnalyze) console.warn("systemd unit tests skipped: systemd-analyze is missing (apt-get install systemd)");

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!haveAnalyze)("the systemd unit", () => {
  it("verifies without a word and scores 2.0 or better on exposure", () => {
    // verify checks that ExecStart exists: point it at a stand-in, everything else as shipped.
    const root = tempDir("rosterbox-unit-");
    const bin = join(root, "rosterbox");
    writeFileSync(bin, "#!/bin/sh\n");
    chmodSync(bin, 0o755);
    const unit = join(root, "rosterbox.service");
    writeFileSync(unit, readFileSync(UNIT, "utf8").replaceAll("/usr/local/bin/rosterbox", bin));
    const verify = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
    expect({ status: verify.status, out: verify.stdout + verify.stderr }).toEqual({ status: 0, out: "" });
    const security = spawnSync("systemd-analyze", ["security", "--offline=true", UNIT], { encoding: "utf8" });
    const score = Number(/Overall exposure level for rosterbox\.service: (\d+\.\d+)/.exec(security.stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(2.0);
  });
});

describe("the install kit", () => {
  it("install.sh parses, and the example config it fills in passes config check", () => {
    const kit = join(import.meta.dirname, "..", "appliance");
    expect(spawnSync("sh", ["-n", join(kit, "install.sh")]).status).toBe(0);
    const made = spawnSync(process.execPath, [CLI, "hash-password"], { input: "a generated password", encoding: "utf8" }).stdout.trim();
    // The substitution install.sh makes (sed with | as the separator: the hashes hold $ and /).
    const dir = tempDir("rosterbox-kit-");
    const config = join(dir, "rosterbox.yaml");
    const filled = spawnSync("sed", ["-e", `s|@ADMIN_HASH@|${made}|`, "-e", `s|@SFTP_HASH@|${made}|`, join(kit, "rosterbox.example.yaml")], { encoding: "utf8" });
    writeFileSync(config, filled.stdout.replace("data_dir: /var/lib/rosterbox", `data_dir: ${join(dir, "data")}`));
    const check = cli("config", "check", "--config", config);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });
});

describe("running it", () => {
  it("answers the health check, backs up while serving, and restores only when stopped", async () => {
    const base = tempDir("rosterbox-ship-");
    const dataDir = join(base, "data");
    const port = await freePort();
    const config = join(base, "rosterbox.yaml");
    writeFileSync(config, `data_dir: ${dataDir}\nhttp: { listen: "127.0.0.1:${port}" }\ntenants:\n  - id: strata\n    feeds:\n      - { folder: OneRoster, format: oneroster-csv }\n`);
    expect(cli("healthcheck", "--config", config).status).toBe(1);
    const imported = cli("import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", writeBundle(DISTRICT));
    expect(imported.status, imported.stderr).toBe(0);

    const served = spawnServe(config);
    children.push(served.child);
    const health = spawnSync(process.execPath, [CLI, "healthcheck", "--config", config, "--wait", "30"], { encoding: "utf8" });
    expect(health.status, health.stderr).toBe(0);

    const backup = join(base, "backup");
    const made = cli("backup", "--config", config, backup);
    expect(made.status, made.stderr).toBe(0);
    expect(existsSync(join(backup, "store", "data.mdb"))).toBe(true);
    expect(existsSync(join(backup, "tenants", "strata", "OneRoster"))).toBe(true);
    expect(existsSync(join(backup, "rosterbox.lock"))).toBe(false);
    expect(cli("backup", "--config", config, backup).status).toBe(1);

    // Restore refuses while the service holds the data dir.
    const refused = cli("restore", "--config", config, backup);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/stop the service first/);
    served.child.kill("SIGTERM");
    await until("serve stopped", () => served.child.exitCode !== null);

    // The store changes after the backup; the restore brings back the backed-up state and keeps the newer one aside.
    const later = cli("import", "--data-dir", dataDir, "--tenant", "strata", "--format", "oneroster-csv", writeBundle({ "users.csv": DISTRICT["users.csv"]!.replace("Ada,Lovelace", "Ada,King") }, { modes: { "users.csv": "delta" } }));
    expect(later.status, later.stderr).toBe(0);
    const restored = cli("restore", "--config", config, backup);
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(/what was there is kept in .*\.before-restore-/);
    const store = openStore(dataDir);
    expect(recordsOf(store, "strata", "users").get("u1")!.familyName).toBe("Lovelace");
    await store.close();
    mkdirSync(join(base, "empty"));
    expect(cli("restore", "--config", config, join(base, "empty")).stderr).toMatch(/is not a rosterbox backup/);
  });
});
