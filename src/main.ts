/**
 * The `rosterbox` command line: a thin shell over the same functions the
 * appliance uses. Command modules load on demand (see below).
 *
 * @module
 */
// Each command's module is imported when that command runs: `export run` or `hash-password`
// need not load (and, through tsx, compile) the web app, the SFTP server and ssh2, which
// was a tenth of a one-million-row export's process time.

const HELP = `rosterbox — SIS roster drop box, importer and exporter

Usage: rosterbox <command> [options]

Commands:
  validate --format F PATH...          offline dry run of files or a folder; exit 0 clean,
           [--results FILE] [--json]   1 row errors, 2 file-level failure, 3 held
           [--data-dir DIR --tenant T] (plan against that store instead of an empty one)
           [--mapping FILE]            (delimited: YAML with entity, delimiter, quote, fields)
  import --data-dir DIR --tenant T --format F PATH...
           [--feed NAME] [--dry-run] [--json] [--results FILE] [--mapping FILE]
           [--change-threshold 20%] [--update-threshold 75%] [--approve] [--reprocess]
                                       apply files to a store without the service
  serve [--config FILE]                the appliance (embedded default config without --config):
                                       SFTP server, drop folders and shares, jobs, status page
                                       and JSON API, scheduled exports
  config check --config FILE           validate a config; errors name key and line (exit 1)
  hash-password                        hash a password read on stdin (PHC scrypt)
  token create --config FILE --name N  create an API token, printed once (stored hashed);
           [--role viewer|admin]       viewer by default
  export run --config FILE TENANT EXPORT  run one export now (a job); exit 0 written, 1 rows
           [--record SOURCEDID]        skipped, 2 failed; --record: a test file of one record
  jobs approve|cancel --config FILE JOB   decide a held job (carried out by serve if running)
  healthcheck --config FILE [--wait S] exit 0 once the running service's /healthz answers ok
  backup --config FILE OUT            consistent copy of the data dir, also while serving
  restore --config FILE IN             put a backup in place (service stopped; the old dir is kept)

Formats: oneroster-csv (folder or .zip), ims-xml, delimited
`;

/**
 * Runs the CLI and returns its exit code.
 *
 * @example process.exitCode = await main(["validate", "--format", "oneroster-csv", "bundle/"]);
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // A file-size limit (ulimit -f, systemd LimitFSIZE=) must fail a write with EFBIG, which the
  // export and import handle, not kill the process with SIGXFSZ. Deno does not offer this signal.
  if (!("Deno" in globalThis)) process.on("SIGXFSZ", () => {});
  switch (command) {
    case "validate":
      return (await import("./cli/import.ts")).importCommand(rest, { dryRun: true });
    case "import":
      return (await import("./cli/import.ts")).importCommand(rest, { dryRun: false });
    case "serve":
      return (await import("./cli/serve.ts")).serveCommand(rest);
    case "jobs":
      return (await import("./cli/jobs.ts")).jobsCommand(rest);
    case "config":
      return (await import("./cli/config.ts")).configCommand(rest);
    case "hash-password":
      return (await import("./cli/config.ts")).hashPasswordCommand();
    case "token":
      return (await import("./cli/token.ts")).tokenCommand(rest);
    case "export":
      return (await import("./cli/export.ts")).exportCommand(rest);
    case "healthcheck":
      return (await import("./cli/healthcheck.ts")).healthcheckCommand(rest);
    case "backup":
    case "restore":
      return (await import("./cli/backup.ts")).backupCommand(command, rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`rosterbox: unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

// Deno runs this file directly (deno run -A src/main.ts …).
if ("Deno" in globalThis && (import.meta as ImportMeta & { main?: boolean }).main) {
  const code = await main((globalThis as unknown as { Deno: { args: string[] } }).Deno.args);
  (globalThis as unknown as { Deno: { exit(c: number): never } }).Deno.exit(code);
}
