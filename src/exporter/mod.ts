/**
 * Exports: the appliance writing files for other systems to collect from
 * the tenant's `exports/` — mapped CSV files of one entity (with joins,
 * `where`, codes and transforms, dated names, deltas from the change log)
 * or the whole store as a OneRoster bundle. Each run is a job.
 *
 * @module
 */
export { exportCursor, newExportJob, previewExport, pruneExportFiles, runExportJob, schoolYearOf, type ExportRequest } from "./run.ts";
export { csvLine, csvStyle, dateTokens } from "./_file.ts";
