/**
 * Sign-in and sign-out. Staff users come from the config's `web_users`
 * (scrypt hashes); a failed attempt costs the same time whether or not the
 * user exists, and repeated failures are throttled per address and per user.
 *
 * @module
 */
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { html, raw } from "hono/html";
import { getConnInfo } from "@hono/node-server/conninfo";
import { hashPassword, verifyPassword } from "../../config/secrets.ts";
import { appendAudit } from "../../store/audit.ts";
import type { WebDeps } from "../deps.ts";
import { STYLE } from "../pages/_style.ts";
import { SESSION_COOKIE, requireAuth, type WebEnv } from "./middleware.ts";
import { closeSession, openSession, SESSION_MS } from "./sessions.ts";
import { LoginThrottle } from "./throttle.ts";

function loginPage(message: string | undefined, next: string, username = ""): ReturnType<typeof html> {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>Sign in · rosterbox</title><style>${raw(STYLE)}</style></head><body><div class="login"><h1>rosterbox</h1>
<p class="muted">Sign in to see what happened to your roster files.</p>
${message ? html`<p class="error" role="alert">${message}</p>` : ""}
<form method="post" action="/login"><input type="hidden" name="next" value="${next}">
<label>User name<input name="username" autocomplete="username" required value="${username}" autofocus></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<button class="primary" type="submit">Sign in</button></form></div></body></html>`;
}

/** Only a path on this site: never an open redirect. */
function safeNext(next: string | undefined): string {
  // A path of this site only: browsers drop tabs and newlines from a URL, so "/\t/evil.example" is "//evil.example".
  return next && /^\/(?![/\\])[^\x00-\x20\\]*$/.test(next) ? next : "/";
}

/** The client's address as the socket sees it (a proxy in front would be one address: it is throttled as one). */
function clientIp(c: Parameters<typeof getConnInfo>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * @example app.route("/", loginRoutes(deps));
 */
export function loginRoutes(deps: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const throttle = new LoginThrottle();
  // Verifying against this when the user does not exist costs the same as a real check.
  const decoy = hashPassword("not a real password, only a timing decoy");

  app.get("/login", (c) => c.html(loginPage(undefined, safeNext(c.req.query("next")))));

  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const username = String(form.username ?? "").trim();
    const password = String(form.password ?? "");
    const next = safeNext(String(form.next ?? "/"));
    const ip = clientIp(c);
    const keys = [`ip:${ip}`, `user:${username.toLowerCase()}`];
    const wait = throttle.lockedFor(keys);
    if (wait > 0) {
      appendAudit(deps.store, "web.login_throttled", { ip, user: username });
      return c.html(loginPage(`Too many failed sign-ins. Try again in ${Math.ceil(wait / 1000)} seconds.`, next, username), 429);
    }
    const user = (deps.config.web_users ?? []).find((u) => u.username === username);
    const ok = await verifyPassword(password, user?.password_hash ?? (await decoy));
    if (!user || !ok) {
      throttle.failed(keys);
      deps.metrics.webLoginFailures++;
      appendAudit(deps.store, "web.login_failed", { ip, user: username });
      return c.html(loginPage("That user name and password do not match.", next, username), 401);
    }
    throttle.succeeded(keys);
    appendAudit(deps.store, "web.login", { ip, user: username });
    const id = openSession(deps.store, user.username, user.role);
    setCookie(c, SESSION_COOKIE, id, {
      httpOnly: true, sameSite: "Strict", path: "/", maxAge: SESSION_MS / 1000,
      secure: new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https",
    });
    return c.redirect(next, 303);
  });

  app.post("/logout", requireAuth(deps), (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) closeSession(deps.store, id);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/login", 303);
  });
  return app;
}
