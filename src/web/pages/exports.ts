/**
 * Exports: what each tenant has configured, with its schedule and next run.
 *
 * @module
 */
import { html } from "hono/html";
import type { Config } from "../../config/mod.ts";
import { exportJson } from "../api/mod.ts";
import type { Html } from "./_layout.ts";

/** @example exportsPage(config) */
export function exportsPage(config: Config): Html {
  const rows = config.tenants.flatMap((t) => (t.exports ?? []).map((e) => ({ tenant: t.id, ...exportJson(e, config.time_zone) })));
  return html`<h1>Exports</h1>
${rows.length
    ? html`<div class="scroll"><table><thead><tr><th>Tenant</th><th>Export</th><th>Entity</th><th>Schedule</th><th>Next run</th><th>Folder</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${r.tenant}</td><td>${r.name}</td><td>${r.entity}</td><td class="mono">${r.schedule ?? "on demand"}</td><td>${r.nextRun ?? "—"}</td><td class="mono">${r.folder}</td></tr>`)}</tbody></table></div>`
    : html`<p class="muted">No exports are configured. Add <code>exports:</code> to a tenant in the config.</p>`}`;
}
