/**
 * The SFTP worker thread's entry (started by mod.ts): listens with the
 * config it was given and reports every event to the main thread, which
 * logs it, counts it and keeps the audit trail.
 *
 * Messages out: `{ type: "listening", port, fingerprints }` once, then
 * `{ type: "event", event, fields }`; `{ type: "failed", message }` if it
 * cannot listen. Messages in: `{ type: "close" }` → `{ type: "closed" }`;
 * `{ type: "release", fd }`: the main thread has hashed an upload's
 * descriptor (`_upload-md5.ts`), close it here where it was opened.
 *
 * @module
 */
import { closeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { Config } from "../../config/mod.ts";
import { listenSftp } from "./_server.ts";

const port = parentPort!;
const { config } = workerData as { config: Config };
// No top-level await: the binary bundles this file as CommonJS.
listenSftp(config, (event, fields) => port.postMessage({ type: "event", event, fields })).then(
  (server) => {
    port.postMessage({ type: "listening", port: server.port, fingerprints: server.fingerprints });
    port.on("message", (m: { type: string; fd?: number }) => {
      if (m.type === "close") void server.close().then(() => port.postMessage({ type: "closed" }));
      else if (m.type === "release" && typeof m.fd === "number") closeSync(m.fd);
    });
  },
  (err: Error) => port.postMessage({ type: "failed", message: err.message }),
);
