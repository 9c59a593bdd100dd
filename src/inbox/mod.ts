/**
 * The inbox: what the drop tree's files mean. Manifest (`.done`) files and
 * their checks, the naming of dated submissions, and archive retention.
 * (The drop tree itself and the manifest's rename states come with
 * `rosterbox serve`.)
 *
 * @module
 */
export { checkManifestFiles, ManifestSchemaError, markInvalid, md5File, parseManifest, type Manifest, type ManifestFile } from "./manifest.ts";
export { rememberMd5 } from "./_md5-memo.ts";
export { parseSubmissionName, uniqueName, type SubmissionName } from "./naming.ts";
export { pruneOlderThan } from "./retention.ts";
