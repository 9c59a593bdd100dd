/**
 * The SFTP server with the clients SIS exports and staff really use:
 * OpenSSH (password, through sshpass), curl's sftp:// (libssh2), lftp and
 * Python's paramiko. Each uploads a bundle and its manifest, sees the job
 * complete, downloads its results, and is refused a mkdir and a write at the
 * root. Missing clients fail in CI and skip locally with what to install.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/config/mod.ts";
import { DISTRICT, tempDir } from "./_bundle.ts";
import { spawnServe } from "./_serve.ts";
import { until } from "./_until.ts";

const PASSWORD = "correct horse battery";
const NEED: Record<string, string> = { sshpass: "/usr/bin/sshpass", curl: "/usr/bin/curl", lftp: "/usr/bin/lftp", paramiko: "/usr/bin/python3" };
let child: ChildProcess;
let port = 0;
let dir = "";
let lines: () => Record<string, unknown>[] = () => [];


/** The bundle and a manifest named after the client, in a local folder. */
function bundleFor(client: string): { local: string; names: string[] } {
  const local = join(dir, client);
  mkdirSync(local, { recursive: true });
  const files: Record<string, string> = { ...DISTRICT, "manifest.csv": "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n" + Object.keys(DISTRICT).map((f) => `file.${f.replace(".csv", "")},bulk`).join("\n") + "\n" };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(local, name), content);
  writeFileSync(join(local, `${client}.done`), `<manifest>${Object.keys(files).map((n) => `<file name="${n}" checksum="" checksumhashtype="none"/>`).join("")}</manifest>`);
  return { local, names: [...Object.keys(files), `${client}.done`] };
}

/** Waits for the job of `<client>.done` to complete; returns its id. */
async function jobOf(client: string): Promise<string> {
  const queued = await until(`the job of ${client}.done`, () => lines().find((l) => l.event === "job" && l.status === "queued" && String(l.manifest).endsWith(`/${client}.done`)));
  await until(`the job of ${client}.done to complete`, () => lines().some((l) => l.event === "job" && l.id === queued.id && l.status === "complete"));
  return String(queued.id);
}

function available(name: string): boolean {
  if (name === "paramiko") return spawnSync("/usr/bin/python3", ["-c", "import paramiko"]).status === 0;
  return existsSync(NEED[name]!);
}

function skipUnless(name: string, ctx: { skip: () => void }): void {
  if (available(name)) return;
  if (process.env.CI) throw new Error(`${name} is missing: .ci/run installs it (apt-get install lftp sshpass python3-paramiko curl)`);
  console.warn(`skipped: install ${name} (apt-get install lftp sshpass python3-paramiko curl)`);
  ctx.skip();
}

beforeAll(async () => {
  dir = tempDir();
  const config = join(dir, "rosterbox.yaml");
  writeFileSync(config, `data_dir: ${join(dir, "data")}
sftp: { listen: "127.0.0.1:0" }
tenants:
  - id: strata
    sftp_users:
      - { username: strata-sis, password_hash: "${await hashPassword(PASSWORD)}" }
    feeds:
      - { folder: OneRoster, format: oneroster-csv, submission: manifest }
`);
  const served = spawnServe(config);
  child = served.child;
  lines = served.lines;
  // Port 0: the system picks a free one (a fixed random one could be taken), logged by serve.
  const started = await served.logged("sftp");
  port = Number(started.port);
});
afterAll(() => {
  child?.kill("SIGKILL");
});

describe("real SFTP clients", () => {
  it("OpenSSH sftp with a password (sshpass)", async (ctx) => {
    skipUnless("sshpass", ctx);
    const { local, names } = bundleFor("openssh");
    const run = (batch: string) => {
      writeFileSync(join(local, "batch"), batch);
      return spawnSync("sshpass", ["-p", PASSWORD, "sftp", "-oBatchMode=no", "-oPubkeyAuthentication=no", "-oStrictHostKeyChecking=no", "-oUserKnownHostsFile=/dev/null", "-b", join(local, "batch"), "-P", String(port), "strata-sis@127.0.0.1"], { encoding: "utf8", cwd: local, timeout: 30_000 });
    };
    expect(run(`cd OneRoster\n${names.map((n) => `put ${n}`).join("\n")}\n`).status).toBe(0);
    const id = await jobOf("openssh");
    expect(run(`get results/${id}.csv got.csv\n`).status).toBe(0);
    expect(readFileSync(join(local, "got.csv"), "utf8")).toMatch(/^file,line,entity,sourcedId,action,status,message\n/);
    const denied = run("-mkdir OneRoster/x\n-put got.csv /root.csv\n");
    expect(denied.stderr.match(/Permission denied/g)).toHaveLength(2);
  });

  it("curl sftp:// (libssh2)", async (ctx) => {
    skipUnless("curl", ctx);
    const { local, names } = bundleFor("curl");
    const curl = (...args: string[]) => spawnSync("curl", ["-sS", "-k", "-u", `strata-sis:${PASSWORD}`, ...args], { encoding: "utf8", cwd: local, timeout: 30_000 });
    for (const n of names) expect(curl("-T", n, `sftp://127.0.0.1:${port}/OneRoster/`).status, n).toBe(0);
    const id = await jobOf("curl");
    const got = curl(`sftp://127.0.0.1:${port}/results/${id}.csv`);
    expect(got.stdout).toMatch(/^file,line,entity,sourcedId,action,status,message\n/);
    const mkdir = curl("-Q", "mkdir /OneRoster/x", `sftp://127.0.0.1:${port}/`);
    expect(mkdir.status).not.toBe(0);
    const root = curl("-T", "users.csv", `sftp://127.0.0.1:${port}/users.csv`);
    expect(root.status).not.toBe(0);
    expect(root.stderr).toMatch(/[Pp]ermission denied/);
  });

  it("lftp", async (ctx) => {
    skipUnless("lftp", ctx);
    const { local, names } = bundleFor("lftp");
    const lftp = (commands: string) => spawnSync("lftp", ["-u", `strata-sis,${PASSWORD}`, "-p", String(port), "-e", `set sftp:auto-confirm yes; set net:max-retries 1; ${commands}; bye`, "sftp://127.0.0.1"], { encoding: "utf8", cwd: local, timeout: 30_000 });
    const up = lftp(`cd OneRoster; ${names.map((n) => `put ${n}`).join("; ")}`);
    expect(up.status, up.stderr).toBe(0);
    const id = await jobOf("lftp");
    expect(lftp(`get results/${id}.csv -o got.csv`).status).toBe(0);
    expect(readFileSync(join(local, "got.csv"), "utf8")).toMatch(/^file,line,entity,sourcedId,action,status,message\n/);
    const denied = lftp("mkdir OneRoster/x");
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toMatch(/[Pp]ermission denied|Access failed/);
  });

  it("Python paramiko", async (ctx) => {
    skipUnless("paramiko", ctx);
    const { local, names } = bundleFor("paramiko");
    const script = `
import json, sys, paramiko
t = paramiko.Transport(("127.0.0.1", ${port}))
t.connect(username="strata-sis", password=${JSON.stringify(PASSWORD)})
s = paramiko.SFTPClient.from_transport(t)
mode = sys.argv[1]
if mode == "put":
    for n in json.loads(sys.argv[2]):
        s.put(n, "/OneRoster/" + n)
    print("ok")
elif mode == "get":
    s.get("/results/" + sys.argv[2] + ".csv", "got.csv")
    print("ok")
else:
    out = []
    for what, call in [("mkdir", lambda: s.mkdir("/OneRoster/x")), ("root", lambda: s.put("users.csv", "/users.csv")), ("escape", lambda: s.listdir("/../../..")), ("symlink", lambda: s.symlink("/etc", "/OneRoster/etc"))]:
        try:
            r = call()
            out.append(what + ": allowed " + repr(r))
        except (IOError, OSError) as e:
            out.append(what + ": " + str(e))
    print("\\n".join(out))
t.close()
`;
    writeFileSync(join(local, "client.py"), script);
    const py = (...args: string[]) => spawnSync("/usr/bin/python3", ["client.py", ...args], { encoding: "utf8", cwd: local, timeout: 30_000 });
    expect(py("put", JSON.stringify(names)).stdout.trim()).toBe("ok");
    const id = await jobOf("paramiko");
    expect(py("get", id).stdout.trim()).toBe("ok");
    expect(readFileSync(join(local, "got.csv"), "utf8")).toMatch(/^file,line,entity,sourcedId,action,status,message\n/);
    const denials = py("deny").stdout;
    // Errno 13 is SSH_FX_PERMISSION_DENIED as paramiko reports it, with the server's reason.
    expect(denials).toMatch(/^mkdir: \[Errno 13\] folders cannot be created$/m);
    expect(denials).toMatch(/^root: \[Errno 13\] .*files can be written only in a feed folder/m);
    expect(denials).toMatch(/^escape: allowed \[.*'OneRoster'/m); // ".." stops at the tenant's root
    expect(denials).toMatch(/^symlink: \[Errno 13\] symbolic links are not supported$/m);
  });

  it("paramiko writing at scattered offsets, many requests at once: every byte lands where it was sent", async (ctx) => {
    skipUnless("paramiko", ctx);
    const local = join(dir, "scattered");
    mkdirSync(local, { recursive: true });
    // 96 chunks of 32 KiB, written with pipelining (no wait for each reply) in an order that
    // runs forwards, skips ahead, jumps back and fills the gaps, partly shuffled. (How the
    // server gathers WRITEs into runs is checked in src/intake/sftp/_write-runs.test.ts.)
    const script = `
import hashlib, os, random, paramiko
t = paramiko.Transport(("127.0.0.1", ${port}))
t.connect(username="strata-sis", password=${JSON.stringify(PASSWORD)})
s = paramiko.SFTPClient.from_transport(t)
size = 32768
data = os.urandom(size * 96)
order = list(range(0, 40)) + list(range(80, 96)) + list(range(60, 80)) + list(range(40, 60))
random.Random(7).shuffle(order[56:])
f = s.open("/OneRoster/scattered.bin", "wb")
f.set_pipelined(True)
for i in order:
    f.seek(i * size)
    f.write(data[i * size:(i + 1) * size])
f.close()
back = s.open("/OneRoster/scattered.bin", "rb").read()
print(hashlib.md5(data).hexdigest(), hashlib.md5(back).hexdigest(), len(back))
t.close()
`;
    writeFileSync(join(local, "scattered.py"), script);
    const r = spawnSync("/usr/bin/python3", ["scattered.py"], { encoding: "utf8", cwd: local, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const [sent, got, length] = r.stdout.trim().split(" ");
    expect(length).toBe(String(32768 * 96));
    expect(got).toBe(sent);
    expect(createHash("md5").update(readFileSync(join(dir, "data", "tenants", "strata", "OneRoster", "scattered.bin"))).digest("hex")).toBe(sent);
    // Written out of order, hashed once complete: the audit has the MD5 of what arrived.
    const upload = await until("the upload's event", () => lines().find((l) => l.event === "sftp.upload" && l.path === "/OneRoster/scattered.bin"));
    expect(upload).toMatchObject({ bytes: 32768 * 96, md5: sent });
  });
});
