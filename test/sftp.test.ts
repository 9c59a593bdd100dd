/**
 * The built-in SFTP server with the real OpenSSH client (`sftp -b`): a SIS
 * uploads a bundle and its manifest, the job runs, the results come back
 * down; what a tenant may not do is refused with "Permission denied".
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ssh2 from "ssh2";
import { afterEach, describe, expect, it } from "vitest";
import { hashPassword } from "../src/config/mod.ts";
import { DISTRICT, tempDir } from "./_bundle.ts";
import { spawnServe } from "./_serve.ts";
import { until } from "./_until.ts";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

const haveSftp = spawnSync("sftp", ["-V"]).error === undefined || existsSync("/usr/bin/sftp");


describe("the SFTP server", () => {
  it("takes a bundle and its manifest from OpenSSH sftp, runs the job, serves the results, and refuses what is not allowed", async (ctx) => {
    if (!haveSftp) {
      if (process.env.CI) throw new Error("the OpenSSH sftp client is missing: apt-get install openssh-client");
      ctx.skip();
    }
    const dir = tempDir();
    const key = join(dir, "id_ed25519");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "sis@test", "-f", key]);
    const config = join(dir, "rosterbox.yaml");
    writeFileSync(config, `data_dir: ${join(dir, "data")}
sftp: { listen: "127.0.0.1:0", max_auth_failures: 3, ban_seconds: 60, max_file_bytes: 100000 }
tenants:
  - id: strata
    sftp_users:
      - username: strata-sis
        password_hash: "${await hashPassword("correct horse battery")}"
        authorized_keys: ["${readFileSync(`${key}.pub`, "utf8").trim()}"]
    feeds:
      - { folder: OneRoster, format: oneroster-csv, submission: manifest }
`);
    const { child, lines } = spawnServe(config);
    children.push(child);
    // Port 0: the system picks a free one (a fixed random one could be taken), logged by serve.
    const started = await until("the SFTP server", () => lines().find((l) => l.event === "sftp") ?? (child.exitCode !== null && { exited: true }));
    expect(started).not.toHaveProperty("exited");
    const port = Number(started.port);
    expect(lines().find((l) => l.event === "sftp")!.host_keys).toEqual([expect.stringMatching(/^SHA256:/), expect.stringMatching(/^SHA256:/)]);

    const local = join(dir, "upload");
    mkdirSync(local);
    const files = { ...DISTRICT, "manifest.csv": "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n" + Object.keys(DISTRICT).map((f) => `file.${f.replace(".csv", "")},bulk`).join("\n") + "\n" };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(local, name), content);
    writeFileSync(join(local, "nightly.done"), `<manifest>${Object.keys(files).map((n) => `<file name="${n}" checksum="" checksumhashtype="none"/>`).join("")}</manifest>`);
    const sftp = (batch: string) => {
      writeFileSync(join(dir, "batch"), batch);
      return spawnSync("sftp", ["-b", join(dir, "batch"), "-i", key, "-P", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "strata-sis@127.0.0.1"], { encoding: "utf8", cwd: local, timeout: 30_000 });
    };
    const up = sftp(`cd OneRoster\n${Object.keys(files).map((n) => `put ${n}`).join("\n")}\nput nightly.done\nls -l\n`);
    expect(up.status, up.stderr).toBe(0);
    const done = await until("the job", () => lines().find((l) => l.event === "job" && l.status === "complete"));
    expect(lines().filter((l) => l.event === "sftp.upload").length).toBe(Object.keys(files).length + 1);
    const usersUpload = lines().find((l) => l.event === "sftp.upload" && l.path === "/OneRoster/users.csv")!;
    expect(usersUpload).toMatchObject({ bytes: DISTRICT["users.csv"]!.length, md5: createHash("md5").update(DISTRICT["users.csv"]!).digest("hex"), tenant: "strata" });

    const down = sftp(`get results/${String(done.id)}.csv results.csv\nls results\n`);
    expect(down.status, down.stderr).toBe(0);
    expect(readFileSync(join(local, "results.csv"), "utf8")).toContain("users.csv,2,users,u1,create,SUCCESS,");

    // Each refused command is prefixed with "-" so the batch goes on.
    const refused = sftp("-mkdir OneRoster/sub\n-put users.csv /at-the-root.csv\n-put users.csv exports/x.csv\n-rm results/" + String(done.id) + ".csv\n-rename OneRoster OneRoster2\ncd ../../..\npwd\nls\n");
    expect(refused.status, refused.stderr).toBe(0);
    expect(refused.stderr.match(/Permission denied/g)?.length ?? 0).toBeGreaterThanOrEqual(5);
    expect(refused.stdout).toContain('Remote working directory: /');
    const root = join(dir, "data", "tenants", "strata");
    expect(readdirSync(root).sort()).toEqual(["OneRoster", "exports", "results"]);
    expect(readdirSync(join(root, "exports"))).toEqual([]);
    await until("the denials logged", () => lines().filter((l) => l.event === "sftp.denied").length >= 5, 10_000);

    // A file over max_file_bytes is refused and leaves nothing behind.
    writeFileSync(join(local, "big.csv"), "x".repeat(200_000));
    const big = sftp("-put big.csv OneRoster/big.csv\n");
    expect(big.stderr).toMatch(/big\.csv|Failure/);
    expect(readdirSync(join(root, "OneRoster"))).toEqual([]);

    // Password login (ssh2's client; OpenSSH needs a TTY or sshpass for passwords) and a wrong one.
    const login = (password: string) => new Promise<string>((resolve) => {
      const c = new ssh2.Client();
      c.on("ready", () => c.sftp((err, s) => {
        if (err) return resolve(`sftp error ${err.message}`);
        s.readdir("/OneRoster", (e, list) => { c.end(); resolve(e ? `readdir error ${e.message}` : `ok ${list.length}`); });
      }));
      c.on("error", (e) => resolve(`error ${e.message}`));
      c.on("close", () => resolve("error: connection closed"));
      c.connect({ host: "127.0.0.1", port, username: "strata-sis", password });
    });
    expect(await login("correct horse battery")).toBe("ok 0");
    expect(await login("wrong")).toMatch(/^error All configured authentication methods failed/);
    await until("the failed login logged", () => lines().some((l) => l.event === "sftp.login_failed" && l.method === "password"), 10_000);
    // Two more failures from this address make three: banned, and even the right password is turned away.
    await login("wrong again");
    await login("and again");
    await until("the ban", () => lines().some((l) => l.event === "sftp.banned"), 10_000);
    expect(await login("correct horse battery")).toMatch(/^error/);
    child.kill("SIGTERM");
  });
});
