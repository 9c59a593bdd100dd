/**
 * The status page and JSON API, served by `rosterbox serve` on `http.listen`.
 *
 * @module
 */
import { serve } from "@hono/node-server";
import { log } from "../log.ts";
import type { AddressInfo } from "node:net";
import { createWebApp } from "./app.ts";
import type { WebDeps } from "./deps.ts";

export { createWebApp } from "./app.ts";
export type { WebDeps } from "./deps.ts";
export { Metrics } from "./metrics.ts";
export { createToken, tokenHash } from "./auth/tokens.ts";
export { pruneSessions } from "./auth/sessions.ts";

export interface WebServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on `listen` ("host:port"; port 0 picks a free one).
 *
 * @example const web = await startWebServer("127.0.0.1:8080", deps);
 */
export async function startWebServer(listen: string, deps: WebDeps): Promise<WebServer> {
  const at = listen.lastIndexOf(":");
  const hostname = listen.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  const app = createWebApp(deps);
  return await new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port: Number(listen.slice(at + 1)) }, (info: AddressInfo) => {
      server.off("error", reject);
      // Once listening, a failed accept (out of descriptors) is logged: with no listener it would end serve.
      server.on("error", (err: Error) => log("error", "http", { message: `the web server could not accept a connection: ${err.message}` }));
      resolve({ port: info.port, close: () => new Promise((done) => server.close(() => done())) });
    });
    server.once("error", reject);
  });
}
