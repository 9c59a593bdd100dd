/**
 * The inbox: what the drop tree's files mean. Manifest (`.done`) files and
 * their checks, and the naming of dated submissions. (The drop tree itself,
 * its states and the FIFO of submissions come with the appliance.)
 *
 * @module
 */
export { checkManifestFiles, ManifestSchemaError, markInvalid, md5File, parseManifest, type Manifest, type ManifestFile } from "./manifest.ts";
export { parseSubmissionName, uniqueName, type SubmissionName } from "./naming.ts";
