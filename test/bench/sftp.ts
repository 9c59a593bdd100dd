/**
 * SFTP throughput against the anchor: a 1 GiB file uploaded and downloaded
 * with the OpenSSH client, to rosterbox and to an OpenSSH sshd started here
 * on loopback with its own config, same cipher (chacha20-poly1305, the
 * OpenSSH default) — sshd twice: with `internal-sftp` (SFTP inside the
 * session process, its fastest form) and with Debian's default
 * `/usr/lib/openssh/sftp-server` (a separate process behind a pipe) —; then
 * 20 sessions uploading 100 files each at once, every file to be accepted
 * (a job) exactly once.
 *
 * Rates are the client's (start to exit of `sftp -b`). rosterbox's CPU for
 * the upload counts until its `sftp.upload` line carries the MD5, which is
 * taken after CLOSE on the main thread; the download starts after that.
 *
 * `node --import tsx test/bench/sftp.ts`; needs openssh-server (sshd) and
 * the OpenSSH client. Part of `npm run bench`.
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SIZE = Number(process.env.BENCH_SFTP_BYTES ?? 2 ** 30);
const CIPHER = "chacha20-poly1305@openssh.com";

export interface SftpFigures {
  rosterboxUp: number;
  rosterboxDown: number;
  sshdUp: number;
  sshdDown: number;
  /** The same with Debian's default subsystem, `sftp-server` (0 where it is not installed). */
  serverUp: number;
  serverDown: number;
  /** Server CPU seconds (user + system) per GiB moved: rosterbox's process, sshd's daemon with its reaped session children. */
  cpu: { rosterboxUp: number; rosterboxDown: number; sshdUp: number; sshdDown: number; serverUp: number; serverDown: number };
  sessions: number;
  files: number;
  accepted: number;
  acceptedOnce: boolean;
  burstSeconds: number;
}

const wait = async (ok: () => boolean, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`sftp benchmark: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * CPU seconds a process has used, with its children that have ended (sshd's
 * per-connection processes); Linux only (0 elsewhere).
 */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    // utime, stime, cutime, cstime: fields 14-17 of stat(5), 11-14 after the name.
    return fields.slice(11, 15).reduce((a, b) => a + Number(b), 0) / 100;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** MB/s of one `sftp -b` transfer, and the server's CPU seconds per GiB for it. */
function transfer(port: number, user: string, key: string, batch: string, cwd: string, server: number): [number, number] {
  writeFileSync(join(cwd, "batch"), batch);
  const cpu = cpuSeconds(server);
  const t = performance.now();
  const r = spawnSync("sftp", ["-q", "-b", join(cwd, "batch"), "-i", key, "-P", String(port), "-c", CIPHER, "-oStrictHostKeyChecking=no", "-oUserKnownHostsFile=/dev/null", "-oBatchMode=yes", `${user}@127.0.0.1`], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sftp failed: ${r.stderr}`);
  const seconds = (performance.now() - t) / 1000;
  // sshd's session process may outlive the client by a moment: its CPU counts once it is reaped.
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && childrenOf(server).length > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  return [SIZE / 1e6 / seconds, (cpuSeconds(server) - cpu) / (SIZE / 2 ** 30)];
}

/** Runs the SFTP benchmark. */
export async function benchSftp(): Promise<SftpFigures> {
  if (!existsSync("/usr/sbin/sshd")) throw new Error("sshd is missing: apt-get install openssh-server");
  // In memory (tmpfs) where there is one: several GiB written in a row otherwise meet the
  // kernel's dirty-page throttling on this machine's disk (≈280 MB/s sustained), which then
  // slows whichever server happens to be writing — single runs swung by half. The servers,
  // not the disk, are what is compared. BENCH_SFTP_DIR chooses another place.
  const scratch = process.env.BENCH_SFTP_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : join(ROOT, "bench-data"));
  mkdirSync(scratch, { recursive: true });
  const base = mkdtempSync(join(scratch, "rosterbox-sftp-"));
  const children: ChildProcess[] = [];
  try {
    const key = join(base, "id_ed25519");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    const pub = spawnSync("cat", [`${key}.pub`], { encoding: "utf8" }).stdout.trim();
    const local = join(base, "local");
    mkdirSync(local);
    spawnSync("sh", ["-c", `head -c ${SIZE} /dev/urandom > big.bin`], { cwd: local });

    const user = process.env.USER ?? "root";
    // OpenSSH sshd on loopback, its own host key, config and authorized key; the current user.
    const sshdRun = async (name: string, subsystem: string): Promise<[number, number, number, number]> => {
      const sshd = join(base, name);
      mkdirSync(sshd);
      spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(sshd, "host")]);
      writeFileSync(join(sshd, "authorized_keys"), `${pub}\n`);
      const sshdPort = 30_000 + Math.floor(Math.random() * 10_000);
      writeFileSync(join(sshd, "config"), `Port ${sshdPort}\nListenAddress 127.0.0.1\nHostKey ${join(sshd, "host")}\nAuthorizedKeysFile ${join(sshd, "authorized_keys")}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nPidFile ${join(sshd, "pid")}\nSubsystem sftp ${subsystem}\n`);
      mkdirSync("/run/sshd", { recursive: true });
      const daemon = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(sshd, "config")], { stdio: "ignore" });
      children.push(daemon);
      await new Promise((r) => setTimeout(r, 500));
      const files = join(base, `${name}-files`);
      mkdirSync(files);
      // sshd forks a process per connection; it is reaped (and its CPU counted) when the session ends.
      const [up, upCpu] = transfer(sshdPort, user, key, `put big.bin ${join(files, "big.bin")}\n`, local, daemon.pid!);
      const [down, downCpu] = transfer(sshdPort, user, key, `get ${join(files, "big.bin")} down-${name}.bin\n`, local, daemon.pid!);
      rmSync(join(local, `down-${name}.bin`), { force: true });
      daemon.kill("SIGTERM");
      rmSync(files, { recursive: true, force: true });
      return [up, upCpu, down, downCpu];
    };
    const [sshdUp, sshdUpCpu, sshdDown, sshdDownCpu] = await sshdRun("sshd", "internal-sftp");
    const SFTP_SERVER = "/usr/lib/openssh/sftp-server";
    const [serverUp, serverUpCpu, serverDown, serverDownCpu] = existsSync(SFTP_SERVER) ? await sshdRun("sshd-server", SFTP_SERVER) : [0, 0, 0, 0];

    // rosterbox: one tenant, an upload feed (each closed file is a submission).
    const port = 40_000 + Math.floor(Math.random() * 10_000);
    const config = join(base, "rosterbox.yaml");
    writeFileSync(config, `data_dir: ${join(base, "data")}\nsftp: { listen: "127.0.0.1:${port}", max_sessions_per_user: 50, max_file_bytes: ${SIZE * 2} }\njobs: { parallel: 2 }\ntenants:\n  - id: bench\n    sftp_users:\n      - { username: bench-sis, authorized_keys: ["${pub}"] }\n    feeds:\n      - { folder: Big, format: ims-xml, submission: manifest }\n      - { folder: Drop, format: ims-xml, submission: upload, quiet_seconds: 1 }\n`);
    let out = "";
    const app = spawn(process.execPath, [join(ROOT, "bin", "rosterbox.mjs"), "serve", "--config", config], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(app);
    app.stdout!.on("data", (d) => (out += d));
    // Whole lines only: the last one may still be arriving.
    const lines = () => out.split("\n").slice(0, -1).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    await wait(() => lines().some((l) => l.event === "sftp"), 30_000, "rosterbox's SFTP server");
    // The rate is the client's; the CPU runs on until the upload's MD5 is logged (it is taken after CLOSE, on the main thread).
    const upStart = cpuSeconds(app.pid!);
    const [rosterboxUp] = transfer(port, "bench-sis", key, "put big.bin Big/big.bin\n", local, app.pid!);
    await wait(() => lines().some((l) => l.event === "sftp.upload" && l.path === "/Big/big.bin" && /^[0-9a-f]{32}$/.test(String(l.md5))), 60_000, "the upload's MD5 in its log line");
    const rosterboxUpCpu = (cpuSeconds(app.pid!) - upStart) / (SIZE / 2 ** 30);
    const [rosterboxDown, rosterboxDownCpu] = transfer(port, "bench-sis", key, "get Big/big.bin down-rosterbox.bin\n", local, app.pid!);
    rmSync(join(local, "down-rosterbox.bin"), { force: true });

    // 20 sessions × 100 small files at once.
    const sessions = 20;
    const perSession = 100;
    const t0 = performance.now();
    const runs = Array.from({ length: sessions }, (_, s) => {
      const dir = join(base, `s${s}`);
      mkdirSync(dir);
      for (let i = 0; i < perSession; i++) writeFileSync(join(dir, `s${s}_${i}.xml`), `<enterprise><person><sourcedid><id>P${s}-${i}</id></sourcedid><userid>u${s}-${i}</userid><name><n><family>F</family><given>G</given></n></name></person></enterprise>`);
      writeFileSync(join(dir, "batch"), `cd Drop\n${Array.from({ length: perSession }, (_, i) => `put s${s}_${i}.xml`).join("\n")}\n`);
      return new Promise<number>((resolve) => {
        const c = spawn("sftp", ["-q", "-b", "batch", "-i", key, "-P", String(port), "-oStrictHostKeyChecking=no", "-oUserKnownHostsFile=/dev/null", "-oBatchMode=yes", "bench-sis@127.0.0.1"], { cwd: dir, stdio: "ignore" });
        c.on("exit", (code) => resolve(code ?? 1));
      });
    });
    const codes = await Promise.all(runs);
    if (codes.some((c) => c !== 0)) throw new Error(`sftp sessions failed: ${codes.join(",")}`);
    const files = sessions * perSession;
    await wait(() => lines().filter((l) => l.event === "job" && l.status === "queued" && /\/Drop\//.test(String(l.manifest))).length >= files, 600_000, "every upload queued");
    const burstSeconds = (performance.now() - t0) / 1000;
    const queuedPaths = lines().filter((l) => l.event === "job" && l.status === "queued" && /\/Drop\//.test(String(l.manifest))).map((l) => String(l.manifest));
    return {
      rosterboxUp, rosterboxDown, sshdUp, sshdDown, serverUp, serverDown, sessions, files,
      cpu: { rosterboxUp: rosterboxUpCpu, rosterboxDown: rosterboxDownCpu, sshdUp: sshdUpCpu, sshdDown: sshdDownCpu, serverUp: serverUpCpu, serverDown: serverDownCpu },
      accepted: queuedPaths.length, acceptedOnce: new Set(queuedPaths).size === files && queuedPaths.length === files, burstSeconds,
    };
  } finally {
    for (const c of children) c.kill("SIGTERM");
    rmSync(base, { recursive: true, force: true });
  }
}

/** The figures as a Markdown table. */
export function sftpMarkdown(f: SftpFigures): string {
  const mb = (x: number) => (x > 0 ? `${x.toFixed(0)} MB/s` : "—");
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : "—");
  const cpu = (x: number) => (x > 0 ? `${x.toFixed(2)} s` : "—");
  return [
    `| SFTP, OpenSSH client, ${(SIZE / 2 ** 30).toFixed(SIZE >= 2 ** 30 ? 0 : 2)} GiB, ${CIPHER} | rosterbox | OpenSSH sshd, internal-sftp | ratio | OpenSSH sshd, sftp-server (Debian's default) | ratio |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    `| upload | ${mb(f.rosterboxUp)} | ${mb(f.sshdUp)} | ${ratio(f.rosterboxUp, f.sshdUp)} | ${mb(f.serverUp)} | ${ratio(f.rosterboxUp, f.serverUp)} |`,
    `| download | ${mb(f.rosterboxDown)} | ${mb(f.sshdDown)} | ${ratio(f.rosterboxDown, f.sshdDown)} | ${mb(f.serverDown)} | ${ratio(f.rosterboxDown, f.serverDown)} |`,
    `| server CPU per GiB, upload | ${cpu(f.cpu.rosterboxUp)} | ${cpu(f.cpu.sshdUp)} | | ${cpu(f.cpu.serverUp)} | |`,
    `| server CPU per GiB, download | ${cpu(f.cpu.rosterboxDown)} | ${cpu(f.cpu.sshdDown)} | | ${cpu(f.cpu.serverDown)} | |`,
    `| ${f.sessions} sessions × ${f.files / f.sessions} files at once: accepted exactly once | ${f.accepted} of ${f.files}${f.acceptedOnce ? ", each once" : ", NOT each once"} | ${f.burstSeconds.toFixed(1)} s | | | |`,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(sftpMarkdown(await benchSftp()));
}
