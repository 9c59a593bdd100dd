/**
 * The dashboard: for each tenant and feed, when the last import succeeded
 * (big, so "did last night's file go in?" is answered at a glance) and the
 * last failure; running jobs with live progress; held jobs waiting for a
 * decision; rows imported and errors per day over 30 days.
 *
 * @module
 */
import { html } from "hono/html";
import type { Config } from "../../config/mod.ts";
import { listJobs } from "../../store/job-index.ts";
import type { JobRecord } from "../../store/jobs.ts";
import type { Store } from "../../store/mod.ts";
import { ago, n, statusBadge, type Html } from "./_layout.ts";

export interface DayTotals {
  day: string;
  rows: number;
  errors: number;
}

/** Rows imported and rows rejected per day, oldest first, for the `days` days up to `now`. */
export function dailyTotals(store: Store, days: number, now = Date.now()): DayTotals[] {
  const out: DayTotals[] = [];
  const index = new Map<string, DayTotals>();
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(now - i * 86_400_000).toISOString().slice(0, 10);
    const t = { day, rows: 0, errors: 0 };
    out.push(t);
    index.set(day, t);
  }
  let cursor: string | undefined;
  do {
    const page = listJobs(store, { from: out[0]!.day }, 1000, cursor);
    for (const job of page.jobs) {
      const t = index.get((job.finishedAt ?? job.receivedAt).slice(0, 10));
      if (!t || job.dryRun || (job.status !== "complete" && job.status !== "incomplete")) continue;
      for (const c of Object.values(job.counts)) {
        t.rows += c.created + c.updated + c.deleted + c.unchanged;
        t.errors += c.errors;
      }
    }
    cursor = page.next ?? undefined;
  } while (cursor);
  return out;
}

/** Bars of rows (blue) and errors (red) per day; titles carry the numbers for screen readers and hover. */
function chart(days: DayTotals[]): Html {
  const w = 600, h = 120, bw = w / days.length;
  const top = Math.max(1, ...days.map((d) => d.rows + d.errors));
  const bar = (d: DayTotals, i: number) => {
    const rh = (d.rows / top) * (h - 14);
    const eh = Math.max(d.errors > 0 ? 2 : 0, (d.errors / top) * (h - 14));
    return html`<g><title>${d.day}: ${n(d.rows)} rows imported, ${n(d.errors)} errors</title>
<rect class="rows" x="${(i * bw + 1).toFixed(1)}" y="${(h - rh).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${rh.toFixed(1)}"/>
<rect class="errors" x="${(i * bw + 1).toFixed(1)}" y="${(h - rh - eh).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${eh.toFixed(1)}"/></g>`;
  };
  return html`<div class="card chart"><h3>Rows imported per day, last ${days.length} days <span class="small muted">(red: rows rejected)</span></h3>
<svg viewBox="0 0 ${w} ${h}" role="img" aria-label="rows imported and errors per day">${days.map(bar)}</svg>
<div class="small muted">${days[0]!.day} … ${days[days.length - 1]!.day} · peak ${n(top)} rows</div></div>`;
}

function feedCard(store: Store, tenant: string, feed: string, now: number): Html {
  const lastOk = listJobs(store, { tenant, feed, status: "complete" }, 1).jobs[0];
  const lastPartial = listJobs(store, { tenant, feed, status: "incomplete" }, 1).jobs[0];
  const lastFailed = listJobs(store, { tenant, feed, status: "failed" }, 1).jobs[0];
  const good = [lastOk, lastPartial].filter((j): j is JobRecord => j !== undefined && !j.dryRun).sort((a, b) => (a.id < b.id ? 1 : -1))[0];
  const stale = !good || now - Date.parse(good.finishedAt ?? good.receivedAt) > 36 * 3600_000;
  return html`<div class="card"><h3>${tenant} · ${feed}</h3>
<div class="muted small">Last import applied</div>
<div class="big ${stale ? "warn" : "ok"}">${good ? ago(good.finishedAt ?? good.receivedAt, now) : "never"}</div>
${good ? html`<div class="small"><a href="/jobs/${good.id}">${good.files.join(", ")}</a> ${statusBadge(good.status)}</div>` : ""}
<div class="small">${lastFailed
    ? html`Last failure: <a href="/jobs/${lastFailed.id}">${ago(lastFailed.finishedAt ?? lastFailed.receivedAt, now)}</a> <span class="bad">${lastFailed.message.slice(0, 140)}</span>`
    : html`<span class="muted">No failures.</span>`}</div></div>`;
}

export function jobRow(job: JobRecord, now: number): Html {
  return html`<tr><td><a href="/jobs/${job.id}">${job.id}</a></td><td>${job.tenant}</td><td class="hide-narrow">${job.feed}</td>
<td>${statusBadge(job.status)}${job.dryRun ? html` <span class="badge muted">dry run</span>` : ""}</td><td class="num">${n(job.rows)}</td><td class="hide-narrow">${ago(job.receivedAt, now)}</td></tr>`;
}

/**
 * @example c.html(layout({ title: "Dashboard", path: "/", viewer }, dashboardPage(config, store)))
 */
export function dashboardPage(config: Config, store: Store, now = Date.now()): Html {
  const running = [...listJobs(store, { status: "running" }, 20).jobs, ...listJobs(store, { status: "queued" }, 20).jobs];
  const held = listJobs(store, { status: "held" }, 50).jobs;
  const feeds = config.tenants.flatMap((t) => (t.feeds ?? []).map((f) => feedCard(store, t.id, f.folder, now)));
  return html`<h1>Dashboard</h1>
${held.length ? html`<div class="notice"><strong>${held.length} job${held.length === 1 ? "" : "s"} held for a decision.</strong> A plan crossed a change threshold; nothing was applied.
<ul>${held.map((j) => html`<li><a href="/jobs/${j.id}">${j.tenant} · ${j.feed} · ${j.files.join(", ")}</a>: ${(j.held ?? []).join("; ")}</li>`)}</ul></div>` : ""}
<div class="grid">${feeds.length ? feeds : html`<p class="muted">No feeds are configured.</p>`}</div>
<h2>Running and queued</h2>
${running.length
    ? html`<div class="grid">${running.map((j) => html`<div class="card"><h3><a href="/jobs/${j.id}">${j.tenant} · ${j.feed}</a> ${statusBadge(j.status)}</h3>
<progress id="p-${j.id}" data-job-progress="${j.id}" data-status="${j.status}" max="1"></progress>
<div id="p-${j.id}-label" class="small muted">${j.progress ? `${j.progress.phase}: ${n(j.progress.rows)} rows` : "waiting its turn"}</div></div>`)}</div>`
    : html`<p class="muted">Nothing is running.</p>`}
<h2>Activity</h2>
${chart(dailyTotals(store, 30, now))}`;
}
