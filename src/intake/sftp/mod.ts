/**
 * The built-in SFTP server (ssh2): each tenant's SFTP users log in with a
 * password (scrypt hash) or a key from authorized_keys and see their
 * tenant's drop tree. SFTP only — no shell, exec or forwarding. Uploads
 * land in the same folders the scanner watches, so a manifest dropped over
 * SFTP takes the same path as one dropped on a share.
 *
 * The server runs in a worker thread of its own. Not for the second core (it
 * stays one thread), but for its own V8 heap: in serve's main heap (lmdb,
 * the web app, the job queue: ~15 MB live) the 32 KiB Buffers ssh2 makes per
 * packet count against the old-generation limit until the next full
 * collection, and a 1 GiB transfer set off a mark-compact every ~100 ms
 * (~25 per 256 MiB, with concurrent marking on four helper threads). A bare
 * ssh2 server's heap (~7 MB) stays below V8's threshold for incremental
 * marking and never does; so does this worker's (measured: server CPU per GiB
 * downloaded 4.4–4.8 s in serve's main thread, 3.0–3.2 s in the worker).
 *
 * @module
 */
import { closeSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { Config } from "../../config/mod.ts";
import { rememberMd5 } from "../../inbox/mod.ts";
import { md5OfDescriptor, READ_FD } from "./_upload-md5.ts";

export interface SftpServer {
  port: number;
  fingerprints: string[];
  close(): Promise<void>;
}

type Log = (event: string, fields: Record<string, unknown>) => void;
type FromWorker =
  | { type: "listening"; port: number; fingerprints: string[] }
  | { type: "event"; event: string; fields: Record<string, unknown> }
  | { type: "failed"; message: string }
  | { type: "closed" };

const entry = new URL("./_worker.ts", import.meta.url);

/** The worker, started the way this build can: bundled (binary), plain JS or Deno, or TypeScript through tsx. */
function spawn(config: Config): Worker {
  const options = { workerData: { config } };
  // The single-file binary embeds the worker's bundled source (appliance/sea/main-banner.cjs).
  const bundled = (globalThis as { __rosterboxWorkerSource?: (asset?: string) => string }).__rosterboxWorkerSource;
  if (bundled) return new Worker(bundled("sftp-worker.cjs"), { eval: true, ...options });
  if ("Deno" in globalThis || !entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  // Node cannot load .ts in a worker by itself: register tsx there first.
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, ...options });
}

/**
 * Starts the SFTP server on `config.sftp.listen` in its worker thread; every
 * event (login, upload, denial, …) reaches `log`. Should the worker die, it
 * is logged and started again.
 *
 * @example const sftp = await startSftpServer(config, (event, fields) => log("info", event, fields));
 */
export function startSftpServer(config: Config, log: Log): Promise<SftpServer> {
  let closing = false;
  let current: Worker;
  let whenClosed: (() => void) | undefined;
  let exited = false;
  // Events are logged in the order they happened, an upload's once its MD5 is known.
  let logged = Promise.resolve();
  const after = (deliver: () => void | Promise<void>) => {
    // One event that cannot be logged must not stop the ones after it.
    logged = logged.then(deliver).catch((err: Error) => {
      process.stderr.write(`rosterbox: an SFTP event could not be logged: ${err.message}\n`);
    });
  };
  const inOrder = (event: string, fields: Record<string, unknown>, release: (fd: number) => void) => {
    const { [READ_FD]: fd, ...rest } = fields;
    if (typeof fd !== "number") return after(() => log(event, rest));
    const md5 = md5OfDescriptor(fd, release, rememberMd5);
    after(async () => log(event, { ...rest, md5: await md5 }));
  };
  return new Promise((resolve, reject) => {
    let started = false;
    const run = () => {
      const worker = (current = spawn(config));
      exited = false;
      // An upload's descriptor goes back to the thread that opened it; if that one is gone, it is closed here.
      let gone = false;
      worker.once("exit", () => (gone = true));
      const release = (fd: number) => (gone ? closeSync(fd) : worker.postMessage({ type: "release", fd }));
      worker.on("message", (m: FromWorker) => {
        if (m.type === "event") inOrder(m.event, m.fields, release);
        else if (m.type === "closed") void worker.terminate().then(() => whenClosed?.());
        else if (m.type === "failed") {
          void worker.terminate();
          if (!started) reject(new Error(m.message));
          else log("sftp.error", { message: `the SFTP server could not listen again: ${m.message}` });
        } else if (m.type === "listening" && !started) {
          started = true;
          resolve({
            port: m.port,
            fingerprints: m.fingerprints,
            close: () => {
              closing = true;
              return new Promise<void>((done) => {
                if (exited) return done();
                whenClosed = done;
                current.postMessage({ type: "close" });
              });
            },
          });
        }
      });
      worker.on("error", (err) => {
        if (!started) reject(err);
        else log("sftp.error", { message: `the SFTP worker failed: ${err.message}` });
      });
      worker.on("exit", () => {
        exited = true;
        if (!started) return reject(new Error("the SFTP worker stopped before it was listening"));
        // Connections are lost with it; the service must still take the next upload.
        if (closing) whenClosed?.();
        else setTimeout(run, 1000).unref();
      });
    };
    run();
  });
}
