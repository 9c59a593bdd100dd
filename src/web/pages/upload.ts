/**
 * Upload by hand: pick the tenant's feed, the files (or one .zip), tick
 * "dry run" to see the plan without applying it. The job page follows.
 *
 * @module
 */
import { html } from "hono/html";
import type { Config } from "../../config/mod.ts";
import { csrfField, type Html, type Viewer } from "./_layout.ts";

/** @example uploadPage(config, viewer) */
export function uploadPage(config: Config, viewer: Viewer, problem?: string): Html {
  const feeds = config.tenants.flatMap((t) => (t.feeds ?? []).map((f) => ({ tenant: t.id, folder: f.folder, format: f.format })));
  if (viewer.role !== "admin") return html`<h1>Upload</h1><p class="muted">Uploads need an admin; you are signed in as a viewer.</p>`;
  return html`<h1>Upload files</h1>
<p class="muted">The files go through the same checks as a drop over SFTP. A dry run plans the import and shows what it would do, and applies nothing.</p>
${problem ? html`<p class="error" role="alert">${problem}</p>` : ""}
<form class="card" method="post" action="/upload" enctype="multipart/form-data">${csrfField(viewer)}
<label>Tenant and feed <select name="target" required>${feeds.map((f) => html`<option value="${f.tenant}/${f.folder}">${f.tenant} · ${f.folder} (${f.format})</option>`)}</select></label>
<p><label>Files (a OneRoster bundle's CSV files, or one .zip) <input type="file" name="files" multiple required></label></p>
<p><label class="check"><input type="checkbox" name="dry_run" checked> Dry run: plan only, apply nothing</label></p>
<button class="primary" type="submit">Upload</button></form>`;
}
