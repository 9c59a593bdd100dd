/**
 * The SSH side of the SFTP server (ssh2), as it runs inside its worker
 * thread (see mod.ts): logins (password, authorized_keys, allow_from), the
 * defender, per-user session and idle limits, and SFTP channels handed to
 * _session.ts. Everything it reports goes through `log`.
 *
 * @module
 */
import { BlockList, createServer, isIP, type Socket } from "node:net";
import ssh2 from "ssh2";
import type { Config, SftpUser } from "../../config/mod.ts";
// Straight from secrets.ts: config/mod.ts would load the YAML parser and the schema validator into this worker's heap.
import { verifyPassword } from "../../config/secrets.ts";
import { tenantRoot } from "../../inbox/droptree.ts";
import { Defender } from "./_defender.ts";
import { authorizedKeys, findKey, hostKeys, type AuthorizedKey } from "./_keys.ts";
import { InFlight } from "./_inflight.ts";
import { READ_FD } from "./_upload-md5.ts";
import { DEFAULT_IN_FLIGHT, serveSftp, type SessionEvents } from "./_session.ts";
import type { TenantView } from "./_vfs.ts";

export interface SftpListener {
  port: number;
  fingerprints: string[];
  close(): Promise<void>;
}

interface Account {
  tenant: string;
  user: SftpUser;
  keys: AuthorizedKey[];
  view: TenantView;
}

const PRE_AUTH_MS = 30_000;
const MAX_AUTH_ATTEMPTS = 6;

/**
 * Listens on `config.sftp.listen` in the calling thread (mod.ts calls it in the SFTP worker).
 *
 * @example const sftp = await listenSftp(config, (event, fields) => parentPort.postMessage({ event, fields }));
 */
export async function listenSftp(config: Config, log: (event: string, fields: Record<string, unknown>) => void): Promise<SftpListener> {
  const accounts = new Map<string, Account>();
  for (const t of config.tenants) {
    const view: TenantView = { root: tenantRoot(config.data_dir, t.id), feeds: (t.feeds ?? []).map((f) => f.folder), deleteAfterPickup: t.sftp_delete_after_pickup === true };
    for (const user of t.sftp_users ?? []) accounts.set(user.username, { tenant: t.id, user, keys: authorizedKeys(user.authorized_keys), view });
  }
  const keys = hostKeys(config.data_dir);
  const limits = config.sftp ?? {};
  const defender = new Defender(limits.max_auth_failures ?? 10, (limits.ban_seconds ?? 300) * 1000);
  const sessions = new Map<string, number>();
  const idleMs = (limits.idle_timeout_seconds ?? 600) * 1000;
  let connections = 0;
  // The TCP sockets are ours, handed to ssh2 (`injectSocket`): ssh2 has no public way to reach
  // the socket it reads, and each connection needs it (no delay, corking replies, pausing reads).
  // ssh2 names a connection's peer by the socket's address and port: live connections differ in them.
  const sockets = new Map<string, Socket>();
  const peer = (ip: string | undefined, port: number | undefined) => `${ip} ${port}`;
  const server = new ssh2.Server({ hostKeys: keys.map((k) => k.private) }, (client, info) => {
    const id = ++connections;
    const where = { connection: id, ip: info.ip, client: info.header.versions.software };
    // A disconnect or a protocol error from one client must never take the server down.
    client.on("error", (err: Error) => log("sftp.error", { ...where, message: err.message }));
    if (defender.banned(info.ip)) {
      log("sftp.denied", { ...where, message: "address banned after failed logins" });
      client.end();
      return;
    }
    const preAuth = setTimeout(() => client.end(), PRE_AUTH_MS);
    // A password takes a while to check (scrypt): a client can be gone before ssh2 says it is
    // ready, and ssh2 says so all the same. Its `close` has fired by then: a session counted
    // then would never be given back, and its user locked out once enough of them piled up.
    let closed = false;
    let counted: string | undefined;
    let idle: ReturnType<typeof setTimeout> | undefined;
    client.on("close", () => {
      closed = true;
      clearTimeout(preAuth);
      if (idle) clearTimeout(idle);
      if (counted !== undefined) sessions.set(counted, (sessions.get(counted) ?? 1) - 1);
    });
    let attempts = 0;
    let account: Account | undefined;
    client.on("authentication", async (ctx) => {
      const found = accounts.get(ctx.username);
      const reject = (counts = true) => {
        if (counts) {
          const until = defender.failed(info.ip);
          if (until) log("sftp.banned", { ...where, until: new Date(until).toISOString() });
        }
        if (++attempts >= MAX_AUTH_ATTEMPTS || defender.banned(info.ip)) client.end();
        ctx.reject(["publickey", "password"]);
      };
      // "none" is how every client starts: not a failure.
      if (ctx.method === "none") return reject(false);
      if (!found) {
        log("sftp.login_failed", { ...where, user: ctx.username, method: ctx.method, message: "no such user" });
        return reject();
      }
      if (found.user.allow_from?.length && !allowed(info.ip, found.user.allow_from)) {
        log("sftp.denied", { ...where, user: ctx.username, message: "address not allowed" });
        return reject();
      }
      if (ctx.method === "password") {
        const ok = found.user.password_hash !== undefined && (await verifyPassword(ctx.password, found.user.password_hash));
        if (!ok) {
          log("sftp.login_failed", { ...where, user: ctx.username, method: "password" });
          return reject();
        }
      } else if (ctx.method === "publickey") {
        const key = findKey(found.keys, ctx.key.algo, ctx.key.data);
        if (!key) {
          log("sftp.login_failed", { ...where, user: ctx.username, method: "publickey" });
          return reject();
        }
        // Without a signature the client only asks whether the key would do: not a login yet.
        if (!ctx.signature) return ctx.accept();
        if (!key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo)) return reject();
      } else return reject();
      if ((sessions.get(found.user.username) ?? 0) >= (limits.max_sessions_per_user ?? 10)) {
        log("sftp.denied", { ...where, user: ctx.username, message: "too many sessions for this user" });
        return reject(false);
      }
      defender.succeeded(info.ip);
      account = found;
      ctx.accept();
    });
    // Every SFTP request counts as activity. A bulk transfer makes thousands a second, and
    // clearing and setting a timer for each cost the serve process ~20% of its download CPU
    // (measured): a request only stamps the time, and the one timer re-arms for the rest.
    let lastActive = 0;
    const arm = (ms: number) => {
      idle = setTimeout(() => {
        const quiet = Date.now() - lastActive;
        if (quiet < idleMs) return arm(idleMs - quiet);
        log("sftp.idle", { ...where, message: "closed after the idle timeout" });
        client.end();
      }, ms);
    };
    const touch = () => {
      lastActive = Date.now();
      if (!idle) arm(idleMs);
    };
    // Replies from fs callbacks completed in one turn of the event loop leave in one writev:
    // a bulk upload is a STATUS per 32 KiB WRITE, and with no delay (set on accept) each was a send()
    // of its own, the largest single cost on the SFTP thread (socket writes ~1/4 of its time).
    const sock = sockets.get(peer(info.ip, info.port));
    let throttled = false;
    const inFlight = new InFlight(limits.max_requests_in_flight ?? DEFAULT_IN_FLIGHT, () => {
      sock?.pause();
      if (throttled) return;
      throttled = true;
      log("sftp.throttled", { ...where, limit: inFlight.limit, message: "requests in flight at the limit: reading paused until half are answered" });
    }, () => sock?.resume());
    let corked = false;
    const replying = () => {
      if (corked || !sock) return;
      corked = true;
      sock.cork();
      setImmediate(() => {
        corked = false;
        sock.uncork();
      });
    };
    client.on("ready", () => {
      clearTimeout(preAuth);
      const a = account!;
      // Gone while its password was checked: no session to count, nothing to serve.
      if (closed) {
        log("sftp.disconnected", { ...where, user: a.user.username, tenant: a.tenant, message: "the client left before its login was complete" });
        return;
      }
      counted = a.user.username;
      sessions.set(counted, (sessions.get(counted) ?? 0) + 1);
      touch();
      log("sftp.login", { ...where, user: a.user.username, tenant: a.tenant });
      const events: SessionEvents = {
        touched: touch,
        maxFileBytes: limits.max_file_bytes ?? 10 * 2 ** 30,
        uploaded: (path, bytes, ms, readFd) => log("sftp.upload", { ...where, tenant: a.tenant, path, bytes, ms, [READ_FD]: readFd }),
        denied: (op, path, why) => log("sftp.denied", { ...where, tenant: a.tenant, op, path, message: why }),
        event: (op, fields) => log(`sftp.${op}`, { ...where, tenant: a.tenant, ...fields }),
        replying,
        inFlight,
      };
      client.on("session", (accept) => {
        const session = accept();
        session.on("sftp", (acceptSftp) => serveSftp(acceptSftp(), a.view, events));
        for (const refused of ["shell", "exec", "pty", "subsystem", "x11", "env"] as const) {
          session.on(refused as "shell", (_accept: unknown, reject?: () => void) => reject?.());
        }
      });
      client.on("tcpip", (_accept: unknown, reject: () => void) => reject());
      client.on("request", (_accept: unknown, reject?: () => void) => reject?.());
    });
  });
  const [host, portText] = splitListen(config.sftp?.listen ?? "0.0.0.0:2222");
  const tcp = createServer((socket) => {
    // Without it uploads ran at 0.16–0.40× OpenSSH's speed: Nagle and delayed ACKs hold the small STATUS replies.
    socket.setNoDelay(true);
    const key = peer(socket.remoteAddress, socket.remotePort);
    sockets.set(key, socket);
    socket.once("close", () => sockets.delete(key));
    server.injectSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(Number(portText), host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  // Once listening, a failed accept (out of descriptors) is logged, not thrown: the server goes on.
  tcp.on("error", (err) => log("sftp.error", { message: err.message }));
  const address = tcp.address() as { port: number };
  return {
    port: address.port,
    fingerprints: keys.map((k) => k.fingerprint),
    close: () => new Promise((resolve) => tcp.close(() => resolve())),
  };
}

function splitListen(listen: string): [string, string] {
  const at = listen.lastIndexOf(":");
  return [listen.slice(0, at).replace(/^\[(.*)\]$/, "$1"), listen.slice(at + 1)];
}

function allowed(ip: string, cidrs: readonly string[]): boolean {
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr = "", bits] = c.split("/");
    const family = isIP(addr) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(bits), family);
  }
  const plain = ip.replace(/^::ffff:/, "");
  return list.check(plain, isIP(plain) === 6 ? "ipv6" : "ipv4");
}
