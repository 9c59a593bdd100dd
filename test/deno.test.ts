/**
 * The whole service under Deno 2 from the same source (`deno run -A
 * src/main.ts serve`): an OpenSSH sftp upload of a bundle and its manifest,
 * the job completes, and the JSON API shows it.
 *
 * Deno comes from npm (devDependency `deno`); the OpenSSH client from the OS.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./_bundle.ts";
import { putBundleOverSftp, sftpTenantConfig } from "./_sftp_drop.ts";
import { CLI } from "./_serve.ts";
import { until } from "./_until.ts";

const ROOT = join(import.meta.dirname, "..");
const DENO = join(ROOT, "node_modules", ".bin", "deno");
const haveDeno = existsSync(DENO);
if (!haveDeno && process.env.CI) throw new Error("deno is missing: npm ci installs it (devDependency deno)");
if (!haveDeno) console.warn("Deno smoke test skipped: install deno with npm ci");

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

describe.skipIf(!haveDeno)("serve under Deno", () => {
  it("takes an SFTP upload, completes the job, and the API shows it", async () => {
    const dir = tempDir("rosterbox-deno-");
    const { key, yaml } = sftpTenantConfig(dir);
    const config = join(dir, "rosterbox.yaml");
    writeFileSync(config, yaml);
    const token = spawnSync(process.execPath, [CLI, "token", "create", "--config", config, "--name", "smoke"], { encoding: "utf8" }).stdout.trim();
    const child = spawn(DENO, ["run", "-A", join(ROOT, "src", "main.ts"), "serve", "--config", config], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const lines = () => out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    await until(`serve under Deno (${out})`, () => lines().some((l) => l.event === "ready") || child.exitCode !== null, 60_000);
    expect(child.exitCode, out).toBeNull();
    const sftpPort = lines().find((l) => l.event === "sftp")!.port;
    const httpPort = lines().find((l) => l.event === "http")!.port;

    const up = putBundleOverSftp(dir, Number(sftpPort), key);
    expect(up.status, up.stderr).toBe(0);

    const done = await until("the job", () => lines().find((l) => l.event === "job" && l.status === "complete"), 60_000);
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/jobs`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { jobs: { id: string; status: string; counts: { created: number } }[] };
    expect(body.jobs[0]).toMatchObject({ id: done.id, status: "complete" });
    expect(body.jobs[0]!.counts.created).toBeGreaterThan(10);
  });
});
