/**
 * The drop tree on disk (CONTRACT.md, The tenant's SFTP root): each tenant's
 * root holds its feed folders, `exports/` and `results/`. Beside the roots,
 * the appliance keeps its own copies of submissions while they are imported
 * (`incoming/`) and after (`archive/`).
 *
 * ```
 * <data_dir>/tenants/<tenant>/<feed folder>/…   what the SIS drops
 * <data_dir>/tenants/<tenant>/results/<job>.csv per-row results
 * <data_dir>/tenants/<tenant>/exports/          files for pickup
 * <data_dir>/incoming/<job>/                    a submission's files, copied out
 * <data_dir>/archive/<tenant>/<job>/            kept for retention.archive_days
 * ```
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/mod.ts";

export function tenantRoot(dataDir: string, tenant: string): string {
  return join(dataDir, "tenants", tenant);
}

export function resultsDir(dataDir: string, tenant: string): string {
  return join(tenantRoot(dataDir, tenant), "results");
}

export function incomingDir(dataDir: string, jobId: string): string {
  return join(dataDir, "incoming", jobId);
}

export function archiveDir(dataDir: string, tenant: string): string {
  return join(dataDir, "archive", tenant);
}

/**
 * Creates every tenant's root, feed folders, `exports/` and `results/`.
 *
 * @example ensureDropTree(config)
 */
export function ensureDropTree(config: Config): void {
  for (const t of config.tenants) {
    const root = tenantRoot(config.data_dir, t.id);
    for (const f of t.feeds ?? []) mkdirSync(join(root, f.folder), { recursive: true });
    mkdirSync(join(root, "exports"), { recursive: true });
    mkdirSync(join(root, "results"), { recursive: true });
  }
}
