/**
 * A feed's thresholds as the importer takes them.
 *
 * @module
 */
import type { Feed } from "../config/mod.ts";
import { DEFAULT_THRESHOLDS, parseLimit, type Thresholds } from "../importer/thresholds.ts";

/** `change_threshold` limits deletes, `update_threshold` updates; unset ones keep the defaults. */
export function parseThreshold(feed: Feed): Thresholds {
  return {
    deletes: feed.change_threshold !== undefined ? parseLimit(String(feed.change_threshold)) : DEFAULT_THRESHOLDS.deletes,
    updates: feed.update_threshold !== undefined ? parseLimit(String(feed.update_threshold)) : DEFAULT_THRESHOLDS.updates,
  };
}
