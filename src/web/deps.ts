/**
 * What the web app is given by `serve`: the config, the store, the SFTP host
 * keys, a way to hand a new job to the queue, and the counters for /metrics.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import type { JobRecord } from "../store/jobs.ts";
import type { Store } from "../store/mod.ts";
import type { Metrics } from "./metrics.ts";

export interface WebDeps {
  config: Config;
  store: Store;
  /** SFTP host key fingerprints (empty without the SFTP server). */
  hostKeys: string[];
  /** A web upload became a job: queue it (the same queue as drop folders). */
  queued(job: JobRecord): void;
  metrics: Metrics;
  /** Largest upload accepted, in bytes. */
  maxUploadBytes?: number;
}
