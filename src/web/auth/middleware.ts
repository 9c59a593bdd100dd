/**
 * Who is asking: a Bearer token or a session cookie, checked on every route
 * but /healthz and the sign-in page. Pages send the unauthenticated to the
 * sign-in page; the API answers 401. Unsafe requests made with a session
 * carry its CSRF token (form field `_csrf` or header `X-CSRF-Token`);
 * token requests need none (no browser sends a Bearer header by itself).
 * A session counts only while its user is in the config's `web_users`, with
 * the role configured there now.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { timingSafeEqual } from "node:crypto";
import type { WebDeps } from "../deps.ts";
import { appendAudit } from "../../store/audit.ts";
import { closeSession, findSession } from "./sessions.ts";
import { findToken, type Role } from "./tokens.ts";

export const SESSION_COOKIE = "rosterbox_session";

export interface Who {
  name: string;
  role: Role;
  via: "session" | "token";
  /** The session's CSRF token (sessions only). */
  csrf: string;
}

export type WebEnv = { Variables: { who: Who } };

const isApi = (path: string) => path.startsWith("/api/") || path === "/metrics";

/**
 * @example app.use("*", requireAuth(deps));
 */
export function requireAuth(deps: WebDeps): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const who = identify(c, deps);
    if (!who) {
      if (isApi(c.req.path)) return c.json({ error: "sign in or send Authorization: Bearer TOKEN" }, 401, { "WWW-Authenticate": 'Bearer realm="rosterbox"' });
      const back = c.req.method === "GET" ? `?next=${encodeURIComponent(c.req.path + (new URL(c.req.url).search))}` : "";
      return c.redirect(`/login${back}`, 303);
    }
    c.set("who", who);
    if (who.via === "session" && !["GET", "HEAD"].includes(c.req.method) && !checksCsrfItself(c)) {
      const sent = c.req.header("x-csrf-token") ?? String((await c.req.parseBody())["_csrf"] ?? "");
      if (!sameSecret(sent, who.csrf)) return c.text("The form has expired or did not come from this site; reload the page and try again.", 403);
    }
    await next();
  };
}

const UPLOAD_ROUTES = [/^\/upload$/, /^\/api\/tenants\/[^/]+\/feeds\/.+\/uploads$/];

/**
 * The upload routes (the page's and the API's) check the `_csrf` field
 * themselves as the multipart body streams (web/upload.ts): parsing it here
 * would buffer the whole upload first. Any other multipart post is checked
 * here like every form.
 */
function checksCsrfItself(c: Context): boolean {
  return c.req.method === "POST" && !!c.req.header("content-type")?.startsWith("multipart/form-data") && UPLOAD_ROUTES.some((r) => r.test(c.req.path));
}

function identify(c: Context, deps: WebDeps): Who | undefined {
  const auth = c.req.header("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const token = m ? findToken(deps.store, deps.config, m[1]!) : undefined;
    return token ? { name: `token:${token.name}`, role: token.role, via: "token", csrf: "" } : undefined;
  }
  const id = getCookie(c, SESSION_COOKIE);
  const s = id ? findSession(deps.store, id) : undefined;
  if (!id || !s) return undefined;
  // The config says who is staff now: a session outlives restarts, so one whose user was
  // removed since sign-in ends here, and a demoted user's session has the new role at once.
  const user = deps.config.web_users?.find((u) => u.username === s.user);
  if (!user) {
    closeSession(deps.store, id);
    appendAudit(deps.store, "web.session_ended", { user: s.user, reason: "no longer in web_users" });
    return undefined;
  }
  return { name: user.username, role: user.role, via: "session", csrf: s.csrf };
}

/** Constant-time comparison of two secrets of any length. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/**
 * Lets only admins through (approve, cancel, upload, run exports).
 *
 * @example app.post("/api/jobs/:id/approve", adminOnly, handler)
 */
export const adminOnly: MiddlewareHandler<WebEnv> = async (c, next) => {
  if (c.get("who").role !== "admin") {
    const message = "This needs an admin; you are signed in as a viewer.";
    return isApi(c.req.path) ? c.json({ error: message }, 403) : c.text(message, 403);
  }
  await next();
};
