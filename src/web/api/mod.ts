/**
 * The JSON API of CONTRACT.md: jobs (list, one, results, approve, cancel),
 * uploads, records, exports. Mounted under /api behind `requireAuth`.
 *
 * @module
 */
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { createReadStream, existsSync, statSync } from "node:fs";
import { Cron } from "croner";
import type { ExportProfile } from "../../config/mod.ts";
import { UploadError } from "../../intake/upload.ts";
import { DecisionError, requestDecision } from "../../jobs/decide.ts";
import { ENTITIES } from "../../model/entities.ts";
import { listJobs, type JobFilter } from "../../store/job-index.ts";
import { loadJob, type JobStatus } from "../../store/jobs.ts";
import { listRecords, readRecord } from "../../store/records.ts";
import { adminOnly, type WebEnv } from "../auth/middleware.ts";
import type { WebDeps } from "../deps.ts";
import { uploadToFeed } from "../upload.ts";
import { jobJson } from "./_json.ts";
import { newExportJob, previewExport } from "../../exporter/mod.ts";

const STATUSES: readonly JobStatus[] = ["queued", "running", "held", "complete", "incomplete", "failed", "cancelled"];

/** Reads a limit query parameter: a whole number from 1 to `max`. */
function limitOf(text: string | undefined, fallback: number, max: number): number | string {
  if (text === undefined || text === "") return fallback;
  const v = Number(text);
  return Number.isInteger(v) && v >= 1 && v <= max ? v : `limit must be a whole number from 1 to ${max}`;
}

/**
 * The job filter of a query string, or the message saying what is wrong with it.
 *
 * @example jobFilterOf({ tenant: "strata", status: "failed" })
 */
export function jobFilterOf(q: Record<string, string | undefined>, deps: WebDeps): JobFilter | string {
  const f: JobFilter = {};
  if (q.tenant) {
    if (!deps.config.tenants.some((t) => t.id === q.tenant)) return `no tenant "${q.tenant}"`;
    f.tenant = q.tenant;
  }
  if (q.feed) f.feed = q.feed;
  if (q.feed && !q.tenant) return "feed needs tenant";
  if (q.status) {
    if (!STATUSES.includes(q.status as JobStatus)) return `status must be one of ${STATUSES.join(", ")}`;
    f.status = q.status as JobStatus;
  }
  for (const k of ["from", "to"] as const) {
    const v = q[k];
    if (!v) continue;
    if (Number.isNaN(Date.parse(v))) return `${k} must be a date (YYYY-MM-DD) or an ISO time`;
    f[k] = v;
  }
  return f;
}

/**
 * @example app.route("/api", apiRoutes(deps));
 */
export function apiRoutes(deps: WebDeps): Hono<WebEnv> {
  const api = new Hono<WebEnv>();
  const tenantOk = (tenant: string) => deps.config.tenants.some((t) => t.id === tenant);

  api.get("/jobs", (c) => {
    const filter = jobFilterOf(c.req.query(), deps);
    const limit = limitOf(c.req.query("limit"), 50, 500);
    if (typeof filter === "string") return c.json({ error: filter }, 400);
    if (typeof limit === "string") return c.json({ error: limit }, 400);
    const page = listJobs(deps.store, filter, limit, c.req.query("cursor") || undefined);
    return c.json({ jobs: page.jobs.map(jobJson), next: page.next });
  });

  api.get("/jobs/:id", (c) => {
    const job = loadJob(deps.store, c.req.param("id"));
    return job ? c.json(jobJson(job)) : c.json({ error: `no job ${c.req.param("id")}` }, 404);
  });

  api.get("/jobs/:id/results.csv", (c) => {
    const job = loadJob(deps.store, c.req.param("id"));
    if (!job) return c.json({ error: `no job ${c.req.param("id")}` }, 404);
    if (!existsSync(job.resultsPath)) return c.json({ error: `job ${job.id} has no results yet (it is ${job.status})` }, 404);
    c.header("Content-Type", "text/csv; charset=utf-8");
    c.header("Content-Disposition", `attachment; filename="${job.id}.csv"`);
    c.header("Content-Length", String(statSync(job.resultsPath).size));
    return stream(c, async (out) => {
      for await (const chunk of createReadStream(job.resultsPath)) await out.write(chunk as Uint8Array);
    });
  });

  for (const decision of ["approve", "cancel"] as const) {
    api.post(`/jobs/:id/${decision}`, adminOnly, (c) => {
      try {
        const job = requestDecision(deps.store, c.req.param("id"), decision, c.get("who").name);
        return c.json(jobJson(job), 202);
      } catch (err) {
        if (err instanceof DecisionError) return c.json({ error: err.message }, /^no job/.test(err.message) ? 404 : 409);
        throw err;
      }
    });
  }

  api.post("/tenants/:tenant/feeds/:folder{.+}/uploads", adminOnly, async (c) => {
    const dry = c.req.query("dry_run");
    try {
      const job = await uploadToFeed(deps, c.get("who"), c.req.raw, { tenant: c.req.param("tenant"), folder: c.req.param("folder") }, dry === undefined ? undefined : dry === "true" || dry === "1");
      return c.json(jobJson(job), 202);
    } catch (err) {
      // The client may still be sending the body: this connection cannot carry another request.
      if (err instanceof UploadError) return c.json({ error: err.message }, err.status, { Connection: "close" });
      throw err;
    }
  });

  api.get("/tenants/:tenant/records/:entity", (c) => {
    const { tenant, entity } = c.req.param();
    if (!tenantOk(tenant)) return c.json({ error: `no tenant "${tenant}"` }, 404);
    if (!(entity in ENTITIES)) return c.json({ error: `no entity "${entity}"; one of ${Object.keys(ENTITIES).join(", ")}` }, 404);
    const limit = limitOf(c.req.query("limit"), 100, 1000);
    if (typeof limit === "string") return c.json({ error: limit }, 400);
    return c.json(listRecords(deps.store, tenant, entity, limit, c.req.query("cursor") || undefined));
  });

  api.get("/tenants/:tenant/records/:entity/:sourcedId", (c) => {
    const { tenant, entity, sourcedId } = c.req.param();
    if (!tenantOk(tenant)) return c.json({ error: `no tenant "${tenant}"` }, 404);
    const record = readRecord(deps.store, tenant, entity, sourcedId);
    return record ? c.json(record) : c.json({ error: `no ${entity} record "${sourcedId}" for ${tenant}` }, 404);
  });

  api.get("/tenants/:tenant/exports", (c) => {
    const tenant = deps.config.tenants.find((t) => t.id === c.req.param("tenant"));
    if (!tenant) return c.json({ error: `no tenant "${c.req.param("tenant")}"` }, 404);
    return c.json({ exports: (tenant.exports ?? []).map((e) => exportJson(deps, tenant.id, e)) });
  });

  const profileOf = (tenantId: string, name: string) => deps.config.tenants.find((t) => t.id === tenantId)?.exports?.find((e) => e.name === name);

  api.get("/tenants/:tenant/exports/:name/preview", (c) => {
    const { tenant, name } = c.req.param();
    const profile = profileOf(tenant, name);
    if (!profile) return c.json({ error: `tenant ${tenant} has no export "${name}"` }, 404);
    return c.json(previewExport(deps.store, tenant, profile));
  });

  api.post("/tenants/:tenant/exports/:name/run", adminOnly, (c) => {
    const { tenant, name } = c.req.param();
    const profile = profileOf(tenant, name);
    if (!profile) return c.json({ error: `tenant ${tenant} has no export "${name}"` }, 404);
    const record = c.req.query("record");
    const job = newExportJob(deps.store, { tenant, profile, timeZone: deps.config.time_zone, ...(record ? { testRecord: record } : {}) }, c.get("who").name);
    deps.queued(job);
    return c.json(jobJson(job), 202);
  });

  return api;
}

/** An export as configured, with its last run (a job) and its next scheduled one. */
export function exportJson(deps: WebDeps, tenant: string, e: ExportProfile) {
  const next = e.schedule ? new Cron(e.schedule, { timezone: deps.config.time_zone, paused: true }).nextRun() : null;
  const last = listJobs(deps.store, { tenant, feed: `exports/${e.name}` }, 1).jobs[0];
  return {
    name: e.name, format: e.format ?? "mapped", entity: e.entity ?? null, schedule: e.schedule ?? null, folder: e.folder ?? "exports", delta: e.delta === true,
    nextRun: next ? next.toISOString() : null,
    lastRun: last ? { job: last.id, status: last.status, at: last.finishedAt ?? last.receivedAt, file: last.exported?.file ?? null, rows: last.exported?.rows ?? 0, message: last.message } : null,
  };
}
