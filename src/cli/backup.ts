/**
 * `rosterbox backup --config FILE OUT` (also while `serve` runs) and
 * `rosterbox restore --config FILE IN` (with the service stopped).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/mod.ts";
import { backupDataDir, restoreDataDir } from "../store/backup.ts";
import { lockDataDir } from "../store/lock.ts";

/** @example await backupCommand("backup", ["--config", "/etc/rosterbox/rosterbox.yaml", "/backups/today"]) // 0 */
export async function backupCommand(command: "backup" | "restore", argv: string[]): Promise<number> {
  const usage = `usage: rosterbox ${command} --config FILE ${command === "backup" ? "OUT" : "IN"}\n`;
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { config: { type: "string" } }, allowPositionals: true });
  } catch (err) {
    process.stderr.write(`rosterbox ${command}: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  const [path] = parsed.positionals;
  if (!parsed.values.config || !path || parsed.positionals.length !== 1) {
    process.stderr.write(usage);
    return 2;
  }
  let dataDir: string;
  try {
    dataDir = loadConfig(parsed.values.config).data_dir;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  try {
    if (command === "backup") {
      const { storeBytes } = await backupDataDir(dataDir, path);
      process.stderr.write(`backed up ${dataDir} into ${path} (store ${(storeBytes / 1e6).toFixed(1)} MB)\n`);
      return 0;
    }
    // The lock proves no service is using the data dir while it is replaced.
    let release: () => void;
    try {
      release = lockDataDir(dataDir);
    } catch (err) {
      process.stderr.write(`rosterbox restore: ${(err as Error).message}; stop the service first (systemctl stop rosterbox)\n`);
      return 1;
    }
    release();
    const kept = restoreDataDir(path, dataDir);
    process.stderr.write(`restored ${path} into ${dataDir}${kept ? `; what was there is kept in ${kept}` : ""}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`rosterbox ${command}: ${(err as Error).message}\n`);
    return 1;
  }
}
