/**
 * serve's schedules (croner): a run that throws is logged and the schedule
 * goes on. croner awaits the callback without a catch of its own, so an
 * exception there (retention unable to remove an archive, an export that
 * cannot be queued) was an unhandled rejection that stopped the process.
 *
 * @module
 */
import { Cron } from "croner";

/**
 * Runs `run` on `pattern` in `timeZone`, one run at a time; a run that fails
 * goes to `failed` (with the error's message), and the next runs as planned.
 *
 * @example const retention = scheduled("0 3 * * *", "Europe/Oslo", () => prune(), (message) => log("error", "retention", { message }));
 */
export function scheduled(pattern: string, timeZone: string | undefined, run: () => void | Promise<void>, failed: (message: string) => void): Cron {
  return new Cron(pattern, {
    timezone: timeZone,
    protect: true,
    catch: (err) => failed(err instanceof Error ? err.message : String(err)),
  }, run);
}
