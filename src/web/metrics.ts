/**
 * /metrics in the Prometheus text format: jobs by state (from the store),
 * and counters this process has seen since it started (rows imported and
 * exported, SFTP sessions, failed logins, bytes uploaded, denials, bans). Counters restart at zero with the process,
 * which Prometheus' rate() expects.
 *
 * @module
 */
import { jobsByStatus } from "../store/job-index.ts";
import type { JobRecord } from "../store/jobs.ts";
import type { Store } from "../store/mod.ts";

/**
 * @example
 * const metrics = new Metrics();
 * metrics.sftpEvent("sftp.upload", { bytes: 1024 });
 * metrics.render(store);
 */
export class Metrics {
  rowsImported = 0;
  rowErrors = 0;
  rowsExported = 0;
  jobsEnded = new Map<string, number>();
  sftpLogins = 0;
  sftpLoginFailures = 0;
  sftpBytesIn = 0;
  sftpDenials = 0;
  sftpBans = 0;
  webLoginFailures = 0;

  /** Counts an SFTP audit event. */
  sftpEvent(event: string, fields: Record<string, unknown>): void {
    const bytes = typeof fields.bytes === "number" ? fields.bytes : 0;
    switch (event) {
      case "sftp.login": this.sftpLogins++; break;
      case "sftp.login_failed": this.sftpLoginFailures++; break;
      case "sftp.upload": this.sftpBytesIn += bytes; break;
      case "sftp.denied": this.sftpDenials++; break;
      case "sftp.banned": this.sftpBans++; break;
    }
  }

  /** Counts a job that ended (applied rows count as imported). */
  jobEnded(job: JobRecord): void {
    this.jobsEnded.set(job.status, (this.jobsEnded.get(job.status) ?? 0) + 1);
    if (job.kind === "export") {
      this.rowsExported += job.exported?.rows ?? 0;
      return;
    }
    const counts = Object.values(job.counts);
    if (!job.dryRun && (job.status === "complete" || job.status === "incomplete")) {
      this.rowsImported += counts.reduce((s, c) => s + c.created + c.updated + c.deleted + c.unchanged, 0);
    }
    this.rowErrors += counts.reduce((s, c) => s + c.errors, 0);
  }

  render(store: Store): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    metric("rosterbox_jobs", "gauge", "Jobs in the store by state.", Object.entries(jobsByStatus(store)).map(([s, v]) => [`{status="${s}"}`, v]));
    metric("rosterbox_jobs_ended_total", "counter", "Jobs that ended since the process started, by state.", [...this.jobsEnded].map(([s, v]) => [`{status="${s}"}`, v]));
    metric("rosterbox_rows_imported_total", "counter", "Rows applied (created, updated, deleted, unchanged) since the process started.", [["", this.rowsImported]]);
    metric("rosterbox_row_errors_total", "counter", "Rows rejected since the process started.", [["", this.rowErrors]]);
    metric("rosterbox_rows_exported_total", "counter", "Rows written to export files since the process started.", [["", this.rowsExported]]);
    // Sessions opened (one per successful login); the server reports no session end yet, so no open-sessions gauge.
    metric("rosterbox_sftp_sessions_total", "counter", "SFTP sessions opened (successful logins).", [["", this.sftpLogins]]);
    metric("rosterbox_sftp_login_failures_total", "counter", "Failed SFTP logins.", [["", this.sftpLoginFailures]]);
    // Uploads only: the SFTP server's download event does not carry a byte count yet.
    metric("rosterbox_sftp_bytes_total", "counter", "SFTP bytes uploaded.", [['{direction="upload"}', this.sftpBytesIn]]);
    metric("rosterbox_sftp_denials_total", "counter", "SFTP requests denied.", [["", this.sftpDenials]]);
    metric("rosterbox_sftp_bans_total", "counter", "Addresses banned after failed logins.", [["", this.sftpBans]]);
    metric("rosterbox_web_login_failures_total", "counter", "Failed web sign-ins.", [["", this.webLoginFailures]]);
    return out.join("\n") + "\n";
  }
}
