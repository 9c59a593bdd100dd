/**
 * Structured logs: one JSON object per line on stdout, which journald and
 * container runtimes keep as is.
 *
 * @module
 */

export type Level = "info" | "warn" | "error";

/**
 * @example log("info", "job", { id: "…", status: "complete" }) // {"time":"…","level":"info","event":"job","id":"…","status":"complete"}
 */
export function log(level: Level, event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }) + "\n");
}
