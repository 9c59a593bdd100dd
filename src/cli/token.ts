/**
 * `rosterbox token create --config FILE --name N [--role viewer|admin]`:
 * makes an API token for a script or for monitoring, prints it once, and
 * keeps only its SHA-256 in the data dir (safe while `serve` runs: LMDB
 * takes concurrent writers). Tokens are viewers unless made admins (an
 * admin token may upload and decide held jobs).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/mod.ts";
import { openStore } from "../store/mod.ts";
import { createToken } from "../web/mod.ts";

const USAGE = "usage: rosterbox token create --config FILE --name NAME [--role viewer|admin]\n";

/**
 * @example await tokenCommand(["create", "--config", "/etc/rosterbox/rosterbox.yaml", "--name", "monitoring"]) // prints rbx_…
 */
export async function tokenCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: { config: { type: "string" }, name: { type: "string" }, role: { type: "string", default: "viewer" } } }));
  } catch (err) {
    process.stderr.write(`rosterbox token: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (sub !== "create" || !values.config || !values.name || (values.role !== "viewer" && values.role !== "admin")) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(values.name)) {
    process.stderr.write(`rosterbox token: "${values.name}" is not a token name; use letters, digits, . _ - (up to 64)\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(values.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const store = openStore(config.data_dir);
  try {
    const token = createToken(store, values.name, values.role);
    process.stdout.write(`${token}\n`);
    process.stderr.write(`API token "${values.name}" (${values.role}) created. It is shown only now; send it as Authorization: Bearer TOKEN.\n`);
    return 0;
  } finally {
    await store.close();
  }
}
