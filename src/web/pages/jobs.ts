/**
 * The job list: filter by tenant, feed, status and date; newest first; paged
 * by cursor so the hundred-thousandth job costs what the first does.
 *
 * @module
 */
import { html } from "hono/html";
import type { Config } from "../../config/mod.ts";
import { listJobs, type JobFilter } from "../../store/job-index.ts";
import type { Store } from "../../store/mod.ts";
import { type Html } from "./_layout.ts";
import { jobRow } from "./dashboard.ts";

const STATUSES = ["queued", "running", "held", "complete", "incomplete", "failed", "cancelled"];

/**
 * @example jobsPage(config, store, { tenant: "strata" }, query, undefined)
 */
export function jobsPage(config: Config, store: Store, filter: JobFilter, query: Record<string, string>, cursor: string | undefined, problem?: string): Html {
  const now = Date.now();
  const page = problem ? { jobs: [], next: null } : listJobs(store, filter, 50, cursor);
  const feeds = [...new Set(config.tenants.flatMap((t) => (t.feeds ?? []).map((f) => f.folder)))];
  const select = (name: string, options: string[], current: string | undefined) =>
    html`<select name="${name}"><option value="">any</option>${options.map((o) => html`<option${o === current ? html` selected` : ""}>${o}</option>`)}</select>`;
  const more = page.next ? `/jobs?${new URLSearchParams({ ...query, cursor: page.next })}` : undefined;
  return html`<h1>Jobs</h1>
<form class="filters" method="get" action="/jobs">
<label>Tenant ${select("tenant", config.tenants.map((t) => t.id), filter.tenant)}</label>
<label>Feed ${select("feed", feeds, filter.feed)}</label>
<label>Status ${select("status", STATUSES, filter.status)}</label>
<label>From <input type="date" name="from" value="${filter.from ?? ""}"></label>
<label>To <input type="date" name="to" value="${filter.to ?? ""}"></label>
<button class="primary" type="submit">Show</button></form>
${problem ? html`<p class="error">${problem}</p>` : ""}
<div class="scroll"><table><thead><tr><th>Job</th><th>Tenant</th><th class="hide-narrow">Feed</th><th>Status</th><th class="num">Rows</th><th class="hide-narrow">Received</th></tr></thead>
<tbody>${page.jobs.length ? page.jobs.map((j) => jobRow(j, now)) : html`<tr><td colspan="6" class="muted">No jobs match.</td></tr>`}</tbody></table></div>
<div class="pager">${cursor ? html`<a href="/jobs?${new URLSearchParams(query)}">Newest</a>` : ""}${more ? html`<a href="${more}">Older →</a>` : ""}</div>`;
}
