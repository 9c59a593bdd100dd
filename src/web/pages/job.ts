/**
 * One job: its files, timings, per-entity counts, the first errors with file,
 * line and message, the full results to download, its event log — and for a
 * held job, the plan against the thresholds, a sample of what would be
 * deleted, and the decision buttons (admins only).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { html } from "hono/html";
import { firstResults } from "../../importer/results-read.ts";
import { DEFAULT_THRESHOLDS, type Limit, type Thresholds } from "../../importer/thresholds.ts";
import { jobEvents, type JobRecord } from "../../store/jobs.ts";
import type { Store } from "../../store/mod.ts";
import { countActive } from "../../store/records.ts";
import { ago, csrfField, n, statusBadge, type Html, type Viewer } from "./_layout.ts";

function seconds(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return "—";
  return `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s`;
}

function limitText(l: Limit | undefined): string {
  if (!l) return "none";
  return [l.percent !== undefined ? `${l.percent}%` : "", l.count !== undefined ? `${n(l.count)} records` : ""].filter(Boolean).join(" or ");
}

function heldSection(store: Store, job: JobRecord, viewer: Viewer, deletes: Awaited<ReturnType<typeof firstResults>>): Html {
  const t = (job.request.thresholds as Thresholds | undefined) ?? DEFAULT_THRESHOLDS;
  const rows = Object.entries(job.counts).map(([entity, c]) => {
    // Active records, as the thresholds judge: tombstones are not records a file can lose again.
    const existing = countActive(store, job.tenant, entity);
    const lim = { ...t, ...(t.entities?.[entity] ?? {}) };
    const share = (k: number) => (existing > 0 ? ` (${((100 * k) / existing).toFixed(1)}%)` : "");
    return html`<tr><td>${entity}</td><td class="num">${n(existing)}</td><td class="num">${n(c.deleted)}${share(c.deleted)}</td><td>${limitText(lim.deletes)}</td>
<td class="num">${n(c.updated)}${share(c.updated)}</td><td>${limitText(lim.updates)}</td></tr>`;
  });
  return html`<div class="notice"><strong>Held: nothing has been applied.</strong> ${(job.held ?? []).join("; ")}</div>
<h2>The plan against the thresholds</h2>
<div class="scroll"><table><thead><tr><th>Entity</th><th class="num">Active records now</th><th class="num">Would delete</th><th>Delete limit</th><th class="num">Would update</th><th>Update limit</th></tr></thead><tbody>${rows}</tbody></table></div>
<h2>Some of the records that would be deleted</h2>
${deletes.length
    ? html`<div class="scroll"><table><thead><tr><th>Entity</th><th>sourcedId</th><th>Why</th></tr></thead><tbody>${deletes.map((r) => html`<tr><td>${r.entity}</td><td class="mono">${r.sourcedId}</td><td>${r.message}</td></tr>`)}</tbody></table></div>`
    : html`<p class="muted">None: the plan deletes nothing.</p>`}
${viewer.role === "admin"
    ? html`<div class="actions"><form method="post" action="/jobs/${job.id}/approve">${csrfField(viewer)}<button class="primary" type="submit">Approve and apply</button></form>
<form method="post" action="/jobs/${job.id}/cancel">${csrfField(viewer)}<button class="danger" type="submit">Cancel the job</button></form></div>`
    : html`<p class="muted">An admin can approve or cancel this job.</p>`}`;
}

/**
 * @example c.html(layout({ title: job.id, path: "/jobs", viewer }, await jobPage(store, job, viewer)))
 */
export async function jobPage(store: Store, job: JobRecord, viewer: Viewer, flash?: string): Promise<Html> {
  const now = Date.now();
  const errors = await firstResults(job.resultsPath, (r) => r.status === "ERROR", 20);
  const deletes = job.status === "held" ? await firstResults(job.resultsPath, (r) => r.action === "delete", 20) : [];
  const events = jobEvents(store, job.id).slice(-30);
  const entities = Object.entries(job.counts);
  const total = (k: keyof JobRecord["counts"][string]) => entities.reduce((s, [, c]) => s + c[k], 0);
  // A held job with a decision recorded is about to move: follow it too.
  const live = job.status === "running" || job.status === "queued" || (job.status === "held" && job.decision !== undefined);
  return html`<h1>Job <span class="mono">${job.id}</span> ${statusBadge(job.status)}${job.dryRun ? html` <span class="badge muted">dry run: nothing applied</span>` : ""}</h1>
${flash ? html`<p class="notice">${flash}</p>` : ""}
${job.message ? html`<p class="${job.status === "failed" ? "error" : "muted"}">${job.message}</p>` : ""}
${live ? html`<progress id="p-${job.id}" data-job-progress="${job.id}" data-status="${job.status}" max="1"></progress><div id="p-${job.id}-label" class="small muted">${job.status === "held" ? `${job.decision!.decision} recorded by ${job.decision!.by}; carrying it out` : job.progress ? `${job.progress.phase}: ${n(job.progress.rows)} rows` : "waiting its turn"}</div>` : ""}
<div class="grid">
<div class="card"><h3>Files</h3><div>${job.tenant} · ${job.feed} · ${job.format}</div><ul>${job.files.map((f) => html`<li class="mono">${f}</li>`)}</ul></div>
<div class="card"><h3>Timings</h3><div>Received ${job.receivedAt} (${ago(job.receivedAt, now)})</div>
<div>Waited ${seconds(job.receivedAt, job.startedAt)} · ran ${seconds(job.startedAt, job.finishedAt)}</div>${job.finishedAt ? html`<div>Finished ${job.finishedAt}</div>` : ""}</div>
</div>
${job.status === "held" ? heldSection(store, job, viewer, deletes) : ""}
<h2>Counts</h2>
<div class="scroll"><table><thead><tr><th>Entity</th><th class="num">Created</th><th class="num">Updated</th><th class="num">Deleted</th><th class="num">Unchanged</th><th class="num">Errors</th><th class="num">Warnings</th></tr></thead>
<tbody>${entities.map(([e, c]) => html`<tr><td>${e}</td><td class="num">${n(c.created)}</td><td class="num">${n(c.updated)}</td><td class="num">${n(c.deleted)}</td><td class="num">${n(c.unchanged)}</td><td class="num ${c.errors ? "bad" : ""}">${n(c.errors)}</td><td class="num">${n(c.warnings)}</td></tr>`)}
<tr><th>all ${n(job.rows)} rows</th><th class="num">${n(total("created"))}</th><th class="num">${n(total("updated"))}</th><th class="num">${n(total("deleted"))}</th><th class="num">${n(total("unchanged"))}</th><th class="num">${n(total("errors"))}</th><th class="num">${n(total("warnings"))}</th></tr></tbody></table></div>
<h2>Errors</h2>
${errors.length
    ? html`<div class="scroll"><table><thead><tr><th>File</th><th class="num">Line</th><th>sourcedId</th><th>Message</th></tr></thead>
<tbody>${errors.map((r) => html`<tr><td>${r.file}</td><td class="num">${r.line}</td><td class="mono">${r.sourcedId}</td><td>${r.message}</td></tr>`)}</tbody></table></div>
<p class="small muted">The first ${errors.length} errors; every row is in the results file.</p>`
    : html`<p class="muted">No row was rejected.</p>`}
${existsSync(job.resultsPath) ? html`<div class="actions"><a class="button" href="/api/jobs/${job.id}/results.csv" download>Download the results CSV</a></div>` : ""}
<h2>Events</h2>
<div class="scroll"><table><thead><tr><th>Time</th><th>Event</th><th>Details</th></tr></thead><tbody>${events.map(({ time, event, ...rest }) =>
    html`<tr><td class="small">${time}</td><td>${event}</td><td class="small mono">${JSON.stringify(rest)}</td></tr>`)}</tbody></table></div>`;
}
