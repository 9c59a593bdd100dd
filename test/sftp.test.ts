/**
 * The built-in SFTP server with the real OpenSSH client (`sftp -b`): a SIS
 * uploads a bundle and its manifest, the job runs, the results come back
 * down; what a tenant may not do is refused with "Permission denied".
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import ssh2, { type Client, type SFTPWrapper } from "ssh2";
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

/** The OpenSSH client is needed: a failure in CI, a skip (saying what to install) elsewhere. */
function needSftp(ctx: { skip: () => void }): void {
  if (haveSftp) return;
  if (process.env.CI) throw new Error("the OpenSSH sftp client is missing: apt-get install openssh-client");
  console.warn("skipped: install the OpenSSH client (apt-get install openssh-client)");
  ctx.skip();
}

const md5 = (data: Buffer | string) => createHash("md5").update(data).digest("hex");

/** An ssh2 callback API as a promise. */
const call = <T = void>(fn: (done: (err: Error | null | undefined, value: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

/** strata-sis logged in with ssh2's client, and an SFTP channel on that connection. */
const sftpSession = (port: number, auth: { password: string } | { privateKey: Buffer }) =>
  new Promise<{ client: Client; sftp: SFTPWrapper }>((resolve, reject) => {
    const client = new ssh2.Client();
    client.on("error", reject);
    client.on("ready", () => client.sftp((err, sftp) => (err ? reject(err) : resolve({ client, sftp }))));
    client.connect({ host: "127.0.0.1", port, username: "strata-sis", ...auth });
  });

describe("the SFTP server", () => {
  it("takes a bundle and its manifest from OpenSSH sftp, runs the job, serves the results, and refuses what is not allowed", async (ctx) => {
    needSftp(ctx);
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
    const { child, lines, logged } = spawnServe(config);
    children.push(child);
    // Port 0: the system picks a free one (a fixed random one could be taken), logged by serve.
    const started = await logged("sftp");
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

  /** Serve on `yaml` (its `data_dir` set here) and an OpenSSH `sftp -b` runner for `user`. */
  const served = async (dir: string, yaml: string) => {
    const config = join(dir, "rosterbox.yaml");
    writeFileSync(config, `data_dir: ${join(dir, "data")}\n${yaml}`);
    const { child, lines, logged } = spawnServe(config);
    children.push(child);
    const started = await logged("sftp");
    const local = join(dir, "local");
    mkdirSync(local, { recursive: true });
    const sftp = (user: string, batch: string, extra: string[] = []) => {
      writeFileSync(join(dir, "batch"), batch);
      return spawnSync("sftp", [...extra, "-b", join(dir, "batch"), "-i", join(dir, "id_ed25519"), "-P", String(started.port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", `${user}@127.0.0.1`], { encoding: "utf8", cwd: local, timeout: 60_000 });
    };
    return { child, lines, local, sftp, port: Number(started.port) };
  };
  const keyed = (dir: string) => {
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "sis@test", "-f", join(dir, "id_ed25519")]);
    return readFileSync(join(dir, "id_ed25519.pub"), "utf8").trim();
  };
  /** One tenant, strata, with a key-authenticated SIS user and a OneRoster feed; `sftp` is the config's sftp line. */
  const servedStrata = async (sftp: string) => {
    const dir = tempDir();
    const pub = keyed(dir);
    const started = await served(dir, `sftp: ${sftp}
tenants:
  - id: strata
    sftp_users: [{ username: strata-sis, authorized_keys: ["${pub}"] }]
    feeds: [{ folder: OneRoster, format: oneroster-csv }]
`);
    return { dir, ...started };
  };

  it("lets an SIS remove what it picked up from exports/ and results/ only with sftp_delete_after_pickup", async (ctx) => {
    needSftp(ctx);
    const dir = tempDir();
    const pub = keyed(dir);
    const { lines, local, sftp } = await served(dir, `sftp: { listen: "127.0.0.1:0" }
tenants:
  - id: strata
    sftp_delete_after_pickup: true
    sftp_users: [{ username: strata-sis, authorized_keys: ["${pub}"] }]
    feeds: [{ folder: OneRoster, format: oneroster-csv }]
  - id: north
    sftp_users: [{ username: north-sis, authorized_keys: ["${pub}"] }]
    feeds: [{ folder: OneRoster, format: oneroster-csv }]
`);
    // What an export and a job leave for the SIS to collect.
    for (const tenant of ["strata", "north"]) {
      const root = join(dir, "data", "tenants", tenant);
      mkdirSync(join(root, "exports", "2026"), { recursive: true });
      writeFileSync(join(root, "exports", "2026", "registrations.csv"), `"Student ID"\n"${tenant}-1"\n`);
      writeFileSync(join(root, "results", "job1.csv"), "file,line,entity,sourcedId,action,status,message\n");
    }
    const strata = join(dir, "data", "tenants", "strata");
    const pickedUp = sftp("strata-sis", "get exports/2026/registrations.csv\nrm exports/2026/registrations.csv\nget results/job1.csv\nrm results/job1.csv\n-rmdir exports/2026\n-rm exports/2026\n-rm /OneRoster\n");
    expect(pickedUp.stderr.match(/Permission denied/g)?.length ?? 0, pickedUp.stderr).toBe(3);
    expect(readFileSync(join(local, "registrations.csv"), "utf8")).toBe('"Student ID"\n"strata-1"\n');
    expect(readdirSync(join(strata, "exports"))).toEqual(["2026"]);
    expect(readdirSync(join(strata, "exports", "2026"))).toEqual([]);
    expect(readdirSync(join(strata, "results"))).toEqual([]);
    await until("the removals logged", () => lines().filter((l) => l.event === "sftp.remove" && l.tenant === "strata").length === 2 || undefined, 10_000);

    // Without the option both folders stay read-only: the download works, REMOVE is denied.
    const north = join(dir, "data", "tenants", "north");
    const refused = sftp("north-sis", "get exports/2026/registrations.csv north.csv\n-rm exports/2026/registrations.csv\n-rm results/job1.csv\n");
    expect(refused.stderr.match(/Permission denied/g)?.length ?? 0, refused.stderr).toBe(2);
    expect(readFileSync(join(local, "north.csv"), "utf8")).toBe('"Student ID"\n"north-1"\n');
    expect(readdirSync(join(north, "exports", "2026"))).toEqual(["registrations.csv"]);
    expect(readdirSync(join(north, "results"))).toEqual(["job1.csv"]);
    await until("the denials logged", () => lines().filter((l) => l.event === "sftp.denied" && l.tenant === "north" && l.op === "remove").length === 2 || undefined, 10_000);
  });

  it("an upload that cannot be put in place is refused and leaves nothing, and the server goes on", async (ctx) => {
    needSftp(ctx);
    const { dir, lines, local, sftp } = await servedStrata(`{ listen: "127.0.0.1:0" }`);
    const feed = join(dir, "data", "tenants", "strata", "OneRoster");
    // A folder an operator made where the upload's name would go: the rename into place fails.
    mkdirSync(join(feed, "users.csv"), { recursive: true });
    writeFileSync(join(local, "users.csv"), DISTRICT["users.csv"]!);
    const refused = sftp("strata-sis", "put users.csv OneRoster/users.csv\n");
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/close remote: Failure/); // OpenSSH shows the status, not its message
    expect(readdirSync(feed)).toEqual(["users.csv"]);
    const error = await until("the error logged", () => lines().find((l) => l.event === "sftp.error" && l.path === "/OneRoster/users.csv"));
    expect(String(error.message)).toMatch(/^the upload could not be put in place: /);
    const ok = sftp("strata-sis", "put users.csv OneRoster/other.csv\n");
    expect(ok.status, ok.stderr).toBe(0);
    const upload = await until("the next upload logged", () => lines().find((l) => l.event === "sftp.upload" && l.path === "/OneRoster/other.csv"));
    expect(upload).toMatchObject({ md5: createHash("md5").update(DISTRICT["users.csv"]!).digest("hex") });
  });

  it("caps the requests in flight per connection: a client asking for more waits, and its files arrive whole", async (ctx) => {
    needSftp(ctx);
    const { dir, lines, local, sftp } = await servedStrata(`{ listen: "127.0.0.1:0", max_requests_in_flight: 4 }`);
    const body = randomBytes(8 * 1024 * 1024);
    writeFileSync(join(local, "big.csv"), body);
    // -R 256: OpenSSH keeps up to 256 requests outstanding (its default is 64).
    const r = sftp("strata-sis", "put big.csv OneRoster/big.csv\nget OneRoster/big.csv back.csv\n", ["-R", "256"]);
    expect(r.status, r.stderr).toBe(0);
    const md5 = createHash("md5").update(body).digest("hex");
    expect(createHash("md5").update(readFileSync(join(dir, "data", "tenants", "strata", "OneRoster", "big.csv"))).digest("hex")).toBe(md5);
    expect(createHash("md5").update(readFileSync(join(local, "back.csv"))).digest("hex")).toBe(md5);
    const throttled = await until("the throttle logged", () => lines().find((l) => l.event === "sftp.throttled"), 10_000);
    expect(throttled).toMatchObject({ limit: 4 });
    expect(lines().filter((l) => l.event === "sftp.throttled").length).toBe(1);
    expect(lines().find((l) => l.event === "sftp.upload")).toMatchObject({ bytes: body.length, md5 });
  });
  it("a client that leaves while its password is checked holds no session: its user still gets in", async () => {
    const dir = tempDir();
    const password = "correct horse battery";
    const { lines, port } = await served(dir, `sftp: { listen: "127.0.0.1:0", max_sessions_per_user: 2 }
tenants:
  - id: strata
    sftp_users: [{ username: strata-sis, password_hash: "${await hashPassword(password)}" }]
    feeds: [{ folder: OneRoster, format: oneroster-csv }]
`);
    // Gone 5 ms after sending the right password: long before scrypt has the answer.
    const leaveDuringCheck = () => new Promise<void>((resolve) => {
      const sock = connect(port, "127.0.0.1");
      const client = new ssh2.Client();
      client.on("error", () => undefined);
      client.on("close", () => resolve());
      client.connect({
        sock,
        username: "strata-sis",
        authHandler: (_left, _partial, next) => {
          next({ type: "password", username: "strata-sis", password });
          setTimeout(() => sock.destroy(), 5);
        },
      });
    });
    await Promise.all([1, 2, 3].map(leaveDuringCheck));
    // ssh2 has the server accept each one all the same once its password is checked (or turn
    // it away for too many sessions, which those before it took and never gave back).
    const decided = new Set(["sftp.login", "sftp.disconnected", "sftp.denied"]);
    await until("the three logins decided", () => lines().filter((l) => decided.has(String(l.event))).length === 3 || undefined, 10_000);
    const { client, sftp } = await sftpSession(port, { password });
    expect((await call<unknown[]>((done) => sftp.readdir("/OneRoster", done))).length).toBe(0);
    client.end();
    await until("the login logged", () => lines().some((l) => l.event === "sftp.login") || undefined, 10_000);
    expect(lines().filter((l) => l.event === "sftp.disconnected")).toHaveLength(3);
    expect(lines().filter((l) => l.event === "sftp.login")).toHaveLength(1);
  });

  it("two clients uploading the same name at once each upload on their own: the file is one of them, whole", async () => {
    const { dir, lines, port } = await servedStrata(`{ listen: "127.0.0.1:0" }`);
    const feed = join(dir, "data", "tenants", "strata", "OneRoster");
    const privateKey = readFileSync(join(dir, "id_ed25519"));
    const clients = await Promise.all([sftpSession(port, { privateKey }), sftpSession(port, { privateKey })]);
    const bodies = [randomBytes(320 * 1024), randomBytes(192 * 1024)];
    // Both opened before either writes, each its connection's first handle; then their WRITEs interleave.
    const handles = await Promise.all(clients.map(({ sftp }) => call<Buffer>((done) => sftp.open("/OneRoster/users.csv", "w", done))));
    const chunk = 32 * 1024;
    for (let at = 0; at < bodies[0]!.length; at += chunk) {
      await Promise.all(clients.map(({ sftp }, i) => {
        const body = bodies[i]!;
        if (at >= body.length) return undefined;
        return call((done) => sftp.write(handles[i]!, body, at, Math.min(chunk, body.length - at), at, done));
      }));
    }
    const [one, two] = clients as [(typeof clients)[0], (typeof clients)[0]];
    await call((done) => one.sftp.close(handles[0]!, done));
    expect(md5(await call<Buffer>((done) => one.sftp.readFile("/OneRoster/users.csv", done)))).toBe(md5(bodies[0]!));
    await call((done) => two.sftp.close(handles[1]!, done));
    expect(md5(await call<Buffer>((done) => two.sftp.readFile("/OneRoster/users.csv", done)))).toBe(md5(bodies[1]!));
    for (const { client } of clients) client.end();
    expect(md5(readFileSync(join(feed, "users.csv")))).toBe(md5(bodies[1]!));
    expect(readdirSync(feed)).toEqual(["users.csv"]);
    const uploads = await until("both uploads logged", () => {
      const found = lines().filter((l) => l.event === "sftp.upload");
      return found.length === 2 && found;
    }, 10_000);
    expect(uploads.map((u) => [u.bytes, u.md5])).toEqual(bodies.map((b) => [b.length, md5(b)]));
  });

  it("a temporary file an earlier upload left behind does not leak into a new upload of that name", async (ctx) => {
    needSftp(ctx);
    const { child, dir, lines, local, sftp } = await servedStrata(`{ listen: "127.0.0.1:0" }`);
    const feed = join(dir, "data", "tenants", "strata", "OneRoster");
    // What a serve killed mid-upload left under the names this one would use (its pid, or 1 in Docker).
    const stale = "stale,".repeat(200);
    const leftovers = [child.pid!, 1].flatMap((pid) => [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `.users.csv.${pid}.${n}.upload`));
    for (const name of leftovers) writeFileSync(join(feed, name), stale);
    writeFileSync(join(local, "users.csv"), DISTRICT["users.csv"]!);
    // `ls -a OneRoster`: OpenSSH asks for "/OneRoster/", with its trailing slash.
    const r = sftp("strata-sis", "put users.csv OneRoster/users.csv\nls -a OneRoster\n");
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(feed, "users.csv"), "utf8")).toBe(DISTRICT["users.csv"]);
    const upload = await until("the upload logged", () => lines().find((l) => l.event === "sftp.upload"), 10_000);
    expect(upload).toMatchObject({ bytes: DISTRICT["users.csv"]!.length, md5: md5(DISTRICT["users.csv"]!) });
    // Temporary names stay out of listings, even one asking for hidden files.
    expect(r.stdout).toContain("users.csv");
    expect(r.stdout).not.toContain(".upload");
  });
});
