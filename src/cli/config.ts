/**
 * `rosterbox config check --config FILE` and `rosterbox hash-password`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, hashPassword, loadConfig } from "../config/mod.ts";

/**
 * Checks a config: prints what it configures and exits 0, or prints every
 * problem as `FILE:LINE: key: message` and exits 1 (2 for a wrong command line).
 *
 * @example await configCommand(["check", "--config", "/etc/rosterbox/rosterbox.yaml"]) // 0
 */
export async function configCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  let args;
  try {
    args = parseArgs({ args: rest, options: { config: { type: "string" } } });
  } catch (err) {
    process.stderr.write(`rosterbox config: ${(err as Error).message}\n`);
    return 2;
  }
  if (sub !== "check" || !args.values.config) {
    process.stderr.write("usage: rosterbox config check --config FILE\n");
    return 2;
  }
  try {
    const config = loadConfig(args.values.config);
    const feeds = config.tenants.reduce((n, t) => n + (t.feeds?.length ?? 0), 0);
    const exports = config.tenants.reduce((n, t) => n + (t.exports?.length ?? 0), 0);
    process.stdout.write(`${args.values.config}: ok — ${config.tenants.length} tenant(s), ${feeds} feed(s), ${exports} export(s); data in ${config.data_dir}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
}

/**
 * Reads a password on stdin (first line) and prints only its hash.
 *
 * @example echo 'correct horse battery' | rosterbox hash-password
 */
export async function hashPasswordCommand(): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).length > 4096) break;
  }
  const password = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
  if (password.length < 8) {
    process.stderr.write("rosterbox hash-password: give a password of at least 8 characters on stdin\n");
    return 2;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}
