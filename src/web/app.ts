/**
 * The Hono app: security headers on everything; /healthz and the sign-in
 * page open; every other page, the JSON API, /metrics and the page script
 * behind `requireAuth` (registered after the open routes, so Hono runs it
 * for everything that follows).
 *
 * @module
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { secureHeaders } from "hono/secure-headers";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { UploadError } from "../intake/upload.ts";
import { DecisionError, requestDecision } from "../jobs/decide.ts";
import { loadJob } from "../store/jobs.ts";
import { apiRoutes, jobFilterOf } from "./api/mod.ts";
import { loginRoutes } from "./auth/login.ts";
import { adminOnly, requireAuth, type WebEnv, type Who } from "./auth/middleware.ts";
import type { WebDeps } from "./deps.ts";
import { layout, type Html, type Viewer } from "./pages/_layout.ts";
import { SCRIPT } from "./pages/_script.ts";
import { STYLE_HASH } from "./pages/_style.ts";
import { dashboardPage } from "./pages/dashboard.ts";
import { exportsPage } from "./pages/exports.ts";
import { jobPage } from "./pages/job.ts";
import { jobsPage } from "./pages/jobs.ts";
import { sftpPage } from "./pages/sftp.ts";
import { uploadPage } from "./pages/upload.ts";
import { uploadToFeed } from "./upload.ts";
import { newExportJob } from "../exporter/mod.ts";

const viewerOf = (who: Who): Viewer => ({ user: who.name, role: who.role, csrf: who.csrf });

/**
 * @example
 * const app = createWebApp(deps);
 * const res = await app.request("/healthz"); // 200 {"status":"ok"}
 */
export function createWebApp(deps: WebDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.use("*", secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: [STYLE_HASH], imgSrc: ["'self'", "data:"], connectSrc: ["'self'"],
      formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
  }));
  // Browsers say where a form came from: refuse cross-site form posts before anything else looks at them.
  // A script with a Bearer token sends no Origin and needs no such check (no browser adds that header by itself).
  const sameOrigin = csrf();
  app.use("*", (c, next) => (c.req.header("authorization") ? next() : sameOrigin(c, next)));

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.route("/", loginRoutes(deps));

  app.use("*", requireAuth(deps));
  app.get("/static/app.js", (c) => c.body(SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "private, max-age=3600" }));
  app.get("/metrics", (c) => c.text(deps.metrics.render(deps.store), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }));
  app.route("/api", apiRoutes(deps));

  const page = (title: string, path: string, who: Who, body: Html) => layout({ title, path, viewer: viewerOf(who) }, body);

  app.get("/", (c) => c.html(page("Dashboard", "/", c.get("who"), dashboardPage(deps.config, deps.store))));

  app.get("/jobs", (c) => {
    const { cursor, ...query } = c.req.query();
    const cleaned = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ""));
    const filter = jobFilterOf(cleaned, deps);
    const body = typeof filter === "string" ? jobsPage(deps.config, deps.store, {}, cleaned, undefined, filter) : jobsPage(deps.config, deps.store, filter, cleaned, cursor);
    return c.html(page("Jobs", "/jobs", c.get("who"), body));
  });

  app.get("/jobs/:id", async (c) => {
    const job = loadJob(deps.store, c.req.param("id"));
    if (!job) return c.html(page("No such job", "/jobs", c.get("who"), html`<h1>No job ${c.req.param("id")}</h1><p><a href="/jobs">All jobs</a></p>`), 404);
    return c.html(page(`Job ${job.id}`, "/jobs", c.get("who"), await jobPage(deps.store, job, viewerOf(c.get("who")), c.req.query("flash"))));
  });

  for (const decision of ["approve", "cancel"] as const) {
    app.post(`/jobs/:id/${decision}`, adminOnly, (c) => {
      const id = c.req.param("id");
      let flash: string;
      try {
        requestDecision(deps.store, id, decision, c.get("who").name);
        flash = decision === "approve" ? "Approved: the job is being applied." : "Cancelled: nothing will be applied.";
      } catch (err) {
        if (!(err instanceof DecisionError)) throw err;
        flash = err.message;
      }
      return c.redirect(`/jobs/${encodeURIComponent(id)}?flash=${encodeURIComponent(flash)}`, 303);
    });
  }

  app.get("/upload", (c) => c.html(page("Upload", "/upload", c.get("who"), uploadPage(deps.config, viewerOf(c.get("who"))))));
  app.post("/upload", adminOnly, async (c) => {
    try {
      // The form names the tenant and feed in its `target` field, read as the body streams.
      const job = await uploadToFeed(deps, c.get("who"), c.req.raw, undefined, undefined);
      return c.redirect(`/jobs/${encodeURIComponent(job.id)}`, 303);
    } catch (err) {
      if (!(err instanceof UploadError)) throw err;
      return c.html(page("Upload", "/upload", c.get("who"), uploadPage(deps.config, viewerOf(c.get("who")), err.message)), err.status, { Connection: "close" });
    }
  });

  app.get("/exports", (c) => c.html(page("Exports", "/exports", c.get("who"), exportsPage(deps, viewerOf(c.get("who")), c.req.query("flash")))));
  app.post("/exports/:tenant/:name/run", adminOnly, async (c) => {
    const { tenant, name } = c.req.param();
    const profile = deps.config.tenants.find((t) => t.id === tenant)?.exports?.find((e) => e.name === name);
    if (!profile) return c.text(`tenant ${tenant} has no export "${name}"`, 404);
    const record = String((await c.req.parseBody()).record ?? "").trim();
    const job = newExportJob(deps.store, { tenant, profile, timeZone: deps.config.time_zone, ...(record ? { testRecord: record } : {}) }, c.get("who").name);
    deps.queued(job);
    return c.redirect(`/jobs/${encodeURIComponent(job.id)}`, 303);
  });
  app.get("/sftp", (c) => c.html(page("SFTP", "/sftp", c.get("who"), sftpPage(deps.config, deps.store, deps.hostKeys))));

  app.notFound((c) => (c.req.path.startsWith("/api/") ? c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404) : c.text("Not found", 404)));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    console.error(err);
    return c.req.path.startsWith("/api/") ? c.json({ error: "internal error; see the service log" }, 500) : c.text("Something went wrong; see the service log.", 500);
  });
  return app;
}
