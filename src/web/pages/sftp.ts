/**
 * SFTP: the server's host key fingerprints (what a client should see on
 * first connect), each tenant's users with their key fingerprints, and
 * recent logins, failures, denials and bans from the audit log.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { html } from "hono/html";
import type { Config } from "../../config/mod.ts";
import { recentAudit } from "../../store/audit.ts";
import type { Store } from "../../store/mod.ts";
import { ago, type Html } from "./_layout.ts";

/** `SHA256:…` of an authorized_keys line, as `ssh-keygen -lf` prints it. */
export function keyFingerprint(line: string): string {
  const [type = "?", blob = "", ...comment] = line.trim().split(/\s+/);
  const digest = createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64").replace(/=+$/, "");
  return `${type} SHA256:${digest}${comment.length ? ` ${comment.join(" ")}` : ""}`;
}

/** @example sftpPage(config, store, ["ssh-ed25519 SHA256:…"]) */
export function sftpPage(config: Config, store: Store, hostKeys: string[]): Html {
  const now = Date.now();
  const events = recentAudit(store, 50, (e) => e.event.startsWith("sftp.") && e.event !== "sftp.upload" && e.event !== "sftp.download");
  return html`<h1>SFTP</h1>
<div class="card"><h3>Host keys ${config.sftp?.listen ? html`<span class="muted small">listening on ${config.sftp.listen}</span>` : html`<span class="muted small">the SFTP server is off</span>`}</h3>
${hostKeys.length ? html`<ul>${hostKeys.map((k) => html`<li class="mono">${k}</li>`)}</ul>` : html`<p class="muted">None.</p>`}</div>
<h2>Users</h2>
<div class="scroll"><table><thead><tr><th>Tenant</th><th>User</th><th>Password</th><th>Keys</th><th class="hide-narrow">Allowed from</th></tr></thead>
<tbody>${config.tenants.flatMap((t) => (t.sftp_users ?? []).map((u) => html`<tr><td>${t.id}</td><td>${u.username}</td><td>${u.password_hash ? "yes" : "no"}</td>
<td>${(u.authorized_keys ?? []).length ? html`<ul>${(u.authorized_keys ?? []).map((k) => html`<li class="mono">${keyFingerprint(k)}</li>`)}</ul>` : "none"}</td>
<td class="hide-narrow">${(u.allow_from ?? []).join(", ") || "anywhere"}</td></tr>`))}</tbody></table></div>
<h2>Recent sign-ins and refusals</h2>
<div class="scroll"><table><thead><tr><th>When</th><th>Event</th><th>User</th><th>Address</th><th>Details</th></tr></thead>
<tbody>${events.length ? events.map((e) => html`<tr><td title="${e.time}">${ago(e.time, now)}</td><td class="${/failed|denied|banned/.test(e.event) ? "bad" : ""}">${e.event.slice(5)}</td>
<td>${String(e.user ?? "")}</td><td class="mono">${String(e.ip ?? "")}</td><td class="small">${String(e.message ?? e.method ?? "")}</td></tr>`) : html`<tr><td colspan="5" class="muted">Nothing yet.</td></tr>`}</tbody></table></div>`;
}
