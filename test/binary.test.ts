/**
 * The single-file binary (`npm run build` → dist/rosterbox) as an appliance
 * runs it: copied alone to an empty folder, with no Node on PATH and no
 * node_modules anywhere near. It must answer the CLI, validate a bundle, and
 * serve — an SFTP upload through OpenSSH runs a job in a worker thread (the
 * embedded worker source, lmdb and ssh2's crypto loaded from SEA assets).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISTRICT, tempDir, writeBundle } from "./_bundle.ts";
import { until } from "./_until.ts";
import { putBundleOverSftp, sftpTenantConfig } from "./_sftp_drop.ts";

const ROOT = join(import.meta.dirname, "..");
const BUILT = join(ROOT, "dist", "rosterbox");
const TOOLS = ["ssh-keygen", "sftp", "ssh", "sh"];

/** Newest modification time under the folders the binary is made from. */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).filter((n) => !n.endsWith(".test.ts")).map((n) => newest(join(path, n))));
}

let dir: string;
let exe: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

const run = (args: string[], input?: string) => spawnSync(exe, args, { cwd: dir, env, input, encoding: "utf8", timeout: 60_000 });

beforeAll(() => {
  const sources = Math.max(newest(join(ROOT, "src")), newest(join(ROOT, "appliance")), newest(join(ROOT, "package-lock.json")));
  if (!existsSync(BUILT) || statSync(BUILT).mtimeMs < sources) {
    const build = spawnSync(process.execPath, [join(ROOT, "appliance", "build.mjs")], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });
    expect(build.status, `npm run build failed:\n${build.stdout}\n${build.stderr}`).toBe(0);
  }
  // The binary alone in an empty folder; PATH holds only the tools the test drives, never node.
  dir = tempDir("rosterbox-binary-");
  exe = join(dir, "rosterbox");
  copyFileSync(BUILT, exe);
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const tool of TOOLS) {
    const found = ["/usr/bin", "/bin"].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (!found) throw new Error(`${tool} is missing: apt-get install openssh-client`);
    symlinkSync(found, join(bin, tool));
  }
  env = { PATH: bin, HOME: join(dir, "home"), LANG: "C.UTF-8" };
  mkdirSync(env.HOME!);
}, 330_000);

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

describe("dist/rosterbox, the single executable", () => {
  it("has no node on its PATH and no node_modules beside it", () => {
    expect(spawnSync("sh", ["-c", "command -v node"], { env, encoding: "utf8" }).status).not.toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["bin", "home", "rosterbox"]);
  });

  it("answers --help, checks a config and validates a bundle", () => {
    const help = run(["--help"]);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^rosterbox — /);

    const hash = run(["hash-password"], "correct horse battery\n");
    expect(hash.status, hash.stderr).toBe(0);
    const config = join(dir, "check.yaml");
    writeFileSync(config, `data_dir: ${join(dir, "check-data")}
tenants:
  - id: strata
    sftp_users: [{ username: strata-sis, password_hash: "${hash.stdout.trim()}" }]
    feeds: [{ folder: OneRoster, format: oneroster-csv, submission: manifest }]
`);
    const check = run(["config", "check", "--config", config]);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    writeFileSync(config, "data_dir: 5\ntenants: nope\n");
    expect(run(["config", "check", "--config", config]).status).toBe(1);

    const validate = run(["validate", "--format", "oneroster-csv", writeBundle(DISTRICT), "--json"]);
    expect(validate.status, validate.stderr).toBe(0);
    expect(JSON.parse(validate.stdout)).toMatchObject({ status: "complete", rows: 17 });

    // The results CSV is made in the writer thread from the source text of its expander: in the bundle too.
    const users = DISTRICT["users.csv"]!.split("\n");
    const [id, ...rest] = users[2]!.split(",");
    users[2] = [`"${id}, again"`, ...rest].join(",");
    const results = join(dir, "results.csv");
    const rejected = run(["validate", "--format", "oneroster-csv", writeBundle({ ...DISTRICT, "users.csv": users.join("\n") }), "--results", results]);
    expect(rejected.status, rejected.stderr).toBe(1);
    const lines = readFileSync(results, "utf8").split("\n");
    expect(lines[0]).toBe("file,line,entity,sourcedId,action,status,message");
    expect(lines).toContain("orgs.csv,2,orgs,d1,create,SUCCESS,");
    expect(lines.find((l) => l.startsWith("users.csv,3,"))).toMatch(new RegExp(`^users\\.csv,3,users,"${id}, again",skip,ERROR,.+`));
    expect(lines.at(-1)).toBe("");
  });

  it("imports a bundle twice (reads stored records) and runs an export", () => {
    // Reading string keys back (the plan walk, an export) goes through lmdb's ordered-binary
    // key codec, whose eval'd string reader broke when esbuild renamed its variables.
    const data = join(dir, "import-data");
    const bundle = writeBundle(DISTRICT);
    const args = ["import", "--data-dir", data, "--tenant", "strata", "--format", "oneroster-csv", bundle, "--json"];
    const first = run(args);
    expect(first.status, first.stderr).toBe(0);
    // The job worker boots from V8's code cache of its bundle, made by the build: V8 took it (a refusal is said on stderr).
    expect(statSync(join(ROOT, "dist", "sea", "worker.cjs.cache")).size).toBeGreaterThan(10_000);
    expect(first.stderr).not.toMatch(/code cache/);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: "complete", rows: 17, counts: { users: { created: 4, unchanged: 0 } } });
    const again = run([...args, "--reprocess"]);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: "complete", rows: 17, counts: { users: { created: 0, updated: 0, deleted: 0, unchanged: 4 } } });

    const config = join(dir, "export.yaml");
    writeFileSync(config, `data_dir: ${data}
tenants:
  - id: strata
    exports: [{ name: plain, entity: users, fields: [{ from: sourcedId, to: id }] }]
`);
    const exported = run(["export", "run", "--config", config, "strata", "plain"]);
    expect(exported.status, exported.stdout + exported.stderr).toBe(0);
    const result = JSON.parse(exported.stdout) as { status: string; rows: number; file: string };
    expect(result).toMatchObject({ status: "complete", rows: 4 });
    expect(readFileSync(join(data, "tenants", "strata", result.file), "utf8").trim().split(/\r?\n/)).toEqual(["id", "t1u", "u1", "u2", "u3"]);
  });

  it("serves: an SFTP upload through OpenSSH runs a job in a worker; /healthz answers", async () => {
    const { key, yaml } = sftpTenantConfig(dir, env);
    const config = join(dir, "serve.yaml");
    writeFileSync(config, yaml);
    const child = spawn(exe, ["serve", "--config", config], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const lines = () => out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    const event = (name: string) => lines().find((l) => l.event === name);
    await until(`serve to be ready (output so far: ${out})`, () => event("ready") || child.exitCode !== null);
    expect(child.exitCode, out).toBe(null);
    const sftpPort = event("sftp")!.port as number;
    const httpPort = event("http")!.port as number;

    const up = putBundleOverSftp(dir, sftpPort, key, env);
    expect(up.status, up.stderr).toBe(0);

    const job = await until(`the job (output so far: ${out})`, () => lines().find((l) => l.event === "job" && (l.status === "complete" || l.status === "failed")));
    expect(job, out).toMatchObject({ status: "complete", tenant: "strata" });
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health.status).toBe(200);
    child.kill("SIGTERM");
    await until("serve to stop", () => child.exitCode !== null || child.signalCode !== null, 15_000);
  });
});
