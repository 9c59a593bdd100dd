/**
 * `rosterbox export run --config FILE TENANT EXPORT [--record SOURCEDID]`:
 * runs one export now, as a job, in this process (safe beside a running
 * `serve`: LMDB takes concurrent writers). `--record` writes a test file of
 * that one record and leaves the delta cursor alone. Exit 0 written (or
 * nothing to write), 1 some rows skipped, 2 failed or a wrong command line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/mod.ts";
import { newExportJob, runExportJob } from "../exporter/mod.ts";
import { openStore } from "../store/mod.ts";

const USAGE = "usage: rosterbox export run --config FILE TENANT EXPORT [--record SOURCEDID]\n";

/** @example await exportCommand(["run", "--config", "/etc/rosterbox/rosterbox.yaml", "strata", "registrations"]) // 0 */
export async function exportCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { config: { type: "string" }, record: { type: "string" } }, allowPositionals: true });
  } catch (err) {
    process.stderr.write(`rosterbox export: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [tenantId, name] = parsed.positionals;
  if (sub !== "run" || !parsed.values.config || !tenantId || !name || parsed.positionals.length !== 2) {
    process.stderr.write(USAGE);
    return 2;
  }
  let config;
  try {
    config = loadConfig(parsed.values.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const tenant = config.tenants.find((t) => t.id === tenantId);
  const profile = tenant?.exports?.find((e) => e.name === name);
  if (!tenant || !profile) {
    process.stderr.write(`rosterbox export: ${!tenant ? `no tenant "${tenantId}"` : `tenant ${tenantId} has no export "${name}"; it has ${(tenant.exports ?? []).map((e) => e.name).join(", ") || "none"}`}\n`);
    return 2;
  }
  const store = openStore(config.data_dir);
  try {
    const job = newExportJob(store, { tenant: tenantId, profile, timeZone: config.time_zone, ...(parsed.values.record ? { testRecord: parsed.values.record } : {}) }, "cli");
    const done = await runExportJob(store, config.data_dir, job);
    const seconds = done.startedAt && done.finishedAt ? (Date.parse(done.finishedAt) - Date.parse(done.startedAt)) / 1000 : null;
    process.stdout.write(`${JSON.stringify({ job: done.id, status: done.status, file: done.exported?.file ?? null, rows: done.exported?.rows ?? 0, seconds, message: done.message })}\n`);
    return done.status === "complete" ? 0 : done.status === "incomplete" ? 1 : 2;
  } finally {
    await store.close();
  }
}
