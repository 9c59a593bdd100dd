/**
 * `rosterbox healthcheck --config FILE | --url URL [--wait SECONDS]`: asks
 * the running service's /healthz (on `http.listen`, or ROSTERBOX_HTTP_LISTEN). Exit 0
 * when it answers ok, 1 when it does not (within `--wait`, default 0: one
 * try). systemd's ExecStartPost waits on it, so `systemctl start` returns
 * once the service answers; the container's HEALTHCHECK runs it (no curl
 * needed in the image).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/mod.ts";

/** @example await healthcheckCommand(["--config", "/etc/rosterbox/rosterbox.yaml", "--wait", "60"]) // 0 */
export async function healthcheckCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: "string" }, url: { type: "string" }, wait: { type: "string", default: "0" } } }));
  } catch (err) {
    process.stderr.write(`rosterbox healthcheck: ${(err as Error).message}\nusage: rosterbox healthcheck --config FILE [--wait SECONDS]\n`);
    return 2;
  }
  if ((!values.config && !values.url) || !/^\d+$/.test(values.wait)) {
    process.stderr.write("usage: rosterbox healthcheck --config FILE | --url URL [--wait SECONDS]\n");
    return 2;
  }
  let url = values.url;
  if (!url) {
    let listen: string | undefined;
    try {
      listen = loadConfig(values.config!).http?.listen;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (!listen) {
      process.stderr.write("rosterbox healthcheck: the config has no http.listen; nothing to ask\n");
      return 2;
    }
    const at = listen.lastIndexOf(":");
    const host = listen.slice(0, at).replace(/^\[(.*)\]$/, "$1");
    // A wildcard listen answers on loopback.
    const target = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
    url = `http://${target}:${listen.slice(at + 1)}/healthz`;
  }
  const deadline = Date.now() + Number(values.wait) * 1000;
  let last = "";
  do {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as { status?: string };
      if (res.ok && body.status === "ok") return 0;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < deadline);
  process.stderr.write(`rosterbox healthcheck: ${url} did not answer ok: ${last}\n`);
  return 1;
}
