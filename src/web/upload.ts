/**
 * A web upload becoming a job: the body streamed to a private folder
 * (intake/upload.ts), handed to the inbox as one submission, queued. The
 * page's form and the API route both end here.
 *
 * @module
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { receiveUpload, UploadError } from "../intake/upload.ts";
import { takeUpload } from "../inbox/submission.ts";
import type { JobRecord } from "../store/jobs.ts";
import { appendJobEvent } from "../store/jobs.ts";
import type { WebDeps } from "./deps.ts";
import { sameSecret, type Who } from "./auth/middleware.ts";

/** 2 GiB: a large district's bundle, zipped or not. */
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 2 ** 30;

/** Where an upload goes: a tenant's feed folder. */
export interface UploadTarget {
  tenant: string;
  folder: string;
}

/**
 * Receives an upload into a feed and queues it. `target` undefined: the
 * form names it in its `target` field ("tenant/folder"), read as the body
 * streams, before any file is written.
 *
 * @example const job = await uploadToFeed(deps, who, c.req.raw, { tenant: "strata", folder: "OneRoster" }, true);
 */
export async function uploadToFeed(deps: WebDeps, who: Who, request: Request, target: UploadTarget | undefined, dryRun: boolean | undefined): Promise<JobRecord> {
  const feedOf = (t: UploadTarget) => {
    const tenant = deps.config.tenants.find((x) => x.id === t.tenant);
    if (!tenant) throw new UploadError(`no tenant "${t.tenant}"`, 400);
    const feed = (tenant.feeds ?? []).find((f) => f.folder === t.folder);
    if (!feed) throw new UploadError(`tenant ${t.tenant} has no feed "${t.folder}"`, 400);
    return feed;
  };
  let where = target;
  let feed = target ? feedOf(target) : undefined;
  const limits = { maxBytes: deps.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES, maxFiles: 50 };
  const up = await receiveUpload(request, join(deps.config.data_dir, "uploads"), limits, (fields) => {
    if (who.via === "session" && !sameSecret(fields._csrf ?? "", who.csrf)) {
      throw new UploadError("The form has expired or did not come from this site; reload the page and try again.", 403);
    }
    if (!where) {
      const [tenant = "", ...folder] = (fields.target ?? "").split("/");
      where = { tenant, folder: folder.join("/") };
      feed = feedOf(where);
    }
  });
  try {
    const dry = dryRun ?? (up.fields.dry_run === "on" || up.fields.dry_run === "true");
    const outcome = takeUpload(up.dir, up.files, { store: deps.store, dataDir: deps.config.data_dir, tenant: where!.tenant, feed: feed!, waitMs: 0, firstSeen: Date.now() }, { dryRun: dry });
    if (outcome.state !== "queued") throw new UploadError(outcome.state === "waiting" ? "the upload is incomplete" : outcome.message, 400);
    appendJobEvent(deps.store, outcome.job.id, "uploaded", { by: who.name, bytes: up.bytes, dryRun: dry });
    deps.queued(outcome.job);
    return outcome.job;
  } finally {
    rmSync(up.dir, { recursive: true, force: true });
  }
}
