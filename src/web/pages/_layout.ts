/**
 * The frame of every page: header with the navigation and sign-out, the
 * inline stylesheet, the page script. Pages are server-rendered with
 * hono/html, which escapes every interpolated value.
 *
 * @module
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { STYLE } from "./_style.ts";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface Viewer {
  user: string;
  role: "admin" | "viewer";
  csrf: string;
}

const NAV = [
  ["/", "Dashboard"],
  ["/jobs", "Jobs"],
  ["/upload", "Upload"],
  ["/exports", "Exports"],
  ["/sftp", "SFTP"],
] as const;

/**
 * A whole page.
 *
 * @example return c.html(layout({ title: "Jobs", path: "/jobs", viewer }, html`<h1>Jobs</h1>`));
 */
export function layout(opts: { title: string; path: string; viewer: Viewer }, body: Html): Html {
  const { title, path, viewer } = opts;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>${title} · rosterbox</title><style>${raw(STYLE)}</style><script src="/static/app.js" defer></script></head>
<body><header><span class="brand">rosterbox</span><nav>${NAV.map(([href, label]) =>
    html`<a href="${href}"${href === path ? html` aria-current="page"` : ""}>${label}</a>`)}</nav>
<span class="small">${viewer.user} (${viewer.role})</span>
<form method="post" action="/logout">${csrfField(viewer)}<button type="submit">Sign out</button></form></header>
<main>${body}</main></body></html>`;
}

/** The hidden CSRF field every form carries; first in the form, so a multipart upload reads it before any file. */
export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}

/** "3 minutes ago", "2 days ago": how long since an ISO time. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const [n, unit] = s < 90 ? [s, "second"] : s < 5400 ? [Math.round(s / 60), "minute"] : s < 129_600 ? [Math.round(s / 3600), "hour"] : [Math.round(s / 86_400), "day"];
  return `${n} ${unit}${n === 1 ? "" : "s"} ago`;
}

/** A job status as a coloured badge. */
export function statusBadge(status: string): Html {
  const tone = status === "complete" ? "ok" : status === "failed" || status === "cancelled" ? "bad" : status === "incomplete" || status === "held" ? "warn" : "muted";
  return html`<span class="badge ${tone}">${status}</span>`;
}

/** Thousands separators, as staff read numbers. */
export function n(value: number | undefined): string {
  return (value ?? 0).toLocaleString("en-US");
}
