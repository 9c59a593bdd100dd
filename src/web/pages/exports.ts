/**
 * Exports: each tenant's export profiles with their last run (its job, file
 * and rows) and next one, a preview of the first five records as they would
 * be written, and for admins "Run now" and a test export of one record.
 *
 * @module
 */
import { html } from "hono/html";
import { previewExport } from "../../exporter/mod.ts";
import { exportJson } from "../api/mod.ts";
import type { WebDeps } from "../deps.ts";
import { ago, csrfField, n, statusBadge, type Html, type Viewer } from "./_layout.ts";

/** @example exportsPage(deps, viewer) */
export function exportsPage(deps: WebDeps, viewer: Viewer, flash?: string): Html {
  const now = Date.now();
  const cards = deps.config.tenants.flatMap((t) => (t.exports ?? []).map((e) => {
    const x = exportJson(deps, t.id, e);
    const preview = previewExport(deps.store, t.id, e);
    const action = `/exports/${encodeURIComponent(t.id)}/${encodeURIComponent(e.name)}/run`;
    return html`<div class="card"><h3>${t.id} · ${e.name} <span class="muted small">${x.format === "oneroster-csv" ? "OneRoster bundle" : `${x.entity}${x.delta ? ", changes only" : ""}`}</span></h3>
<div class="small">Schedule <span class="mono">${x.schedule ?? "on demand"}</span>${x.nextRun ? html` · next ${x.nextRun}` : ""} · into <span class="mono">${x.folder}</span></div>
<div class="small">Last run: ${x.lastRun ? html`<a href="/jobs/${x.lastRun.job}">${ago(x.lastRun.at, now)}</a> ${statusBadge(x.lastRun.status)} ${x.lastRun.file ? html`<span class="mono">${x.lastRun.file}</span> (${n(x.lastRun.rows)} rows)` : x.lastRun.message}` : "never"}</div>
${preview.columns.length ? html`<div class="scroll"><table><thead><tr>${preview.columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
<tbody>${preview.rows.length ? preview.rows.map((r) => html`<tr>${r.map((v) => html`<td>${v}</td>`)}</tr>`) : html`<tr><td colspan="${preview.columns.length}" class="muted">No records match yet.</td></tr>`}</tbody></table></div>` : ""}
${preview.errors.length ? html`<p class="error small">${preview.errors.join("; ")}</p>` : ""}
${viewer.role === "admin" ? html`<div class="actions"><form method="post" action="${action}">${csrfField(viewer)}<button class="primary" type="submit">Run now</button></form>
${x.format === "mapped" ? html`<form method="post" action="${action}" class="filters">${csrfField(viewer)}<label>Test one record <input name="record" placeholder="sourcedId" required></label><button type="submit">Export it</button></form>` : ""}</div>` : ""}
</div>`;
  }));
  return html`<h1>Exports</h1>${flash ? html`<p class="notice">${flash}</p>` : ""}
${cards.length ? html`<div class="grid">${cards}</div>` : html`<p class="muted">No exports are configured. Add <code>exports:</code> to a tenant in the config.</p>`}`;
}
