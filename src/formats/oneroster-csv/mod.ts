/**
 * OneRoster CSV 1.1 / 1.2 bundles: a folder or a .zip holding manifest.csv
 * and the data files it declares. Streams canonical rows, file by file, in
 * dependency order.
 *
 * @module
 */
import { ENTITIES, IMPORT_ORDER, isEntityName } from "../../model/entities.ts";
import { FileError, type PassOverFor, type SourceEvent, type SourceStream } from "../types.ts";
import { openBundle } from "./_bundle.ts";
import { readDataFile, readExtensionFile, type RequiredHere } from "./_file.ts";
import { readManifest } from "./_manifest.ts";

export { openBundle, type Bundle } from "./_bundle.ts";

/**
 * Streams a bundle. File-level problems (no manifest, a declared file
 * missing, a wrong header, a file cut off inside a quote) throw
 * {@link FileError}; row problems arrive as issues. A vendor's extra file
 * never throws: its header is repaired, or the file skipped, with a warning.
 *
 * @example
 * for await (const batch of readOneRosterBundle(["/tmp/bundle.zip"])) for (const e of batch) …
 */
export async function* readOneRosterBundle(paths: readonly string[], passOverFor?: PassOverFor): SourceStream {
  const bundle = await openBundle(paths);
  try {
    const present = new Map(bundle.names.map((n) => [n.toLowerCase(), n]));
    const manifestName = present.get("manifest.csv");
    if (!manifestName) {
      throw new FileError("manifest.csv", 0, `is missing; a OneRoster bundle needs it beside the data files (found: ${bundle.names.join(", ") || "nothing"})`);
    }
    const manifest = await readManifest(await bundle.open(manifestName));
    const prelude: SourceEvent[] = [...manifest.issues];
    for (const [name, declared] of manifest.files) {
      const actual = present.get(`${name}.csv`);
      if (declared.mode !== "absent" && !actual) {
        throw new FileError("manifest.csv", declared.line, `declares file.${name}=${declared.mode} but ${name}.csv is not in the bundle`);
      }
      if (declared.mode === "absent" && actual) {
        prelude.push(warning(actual, `is present but manifest.csv declares file.${name}=absent; the file is ignored`));
      }
    }
    const plan: { name: string; entity: string; mode: "bulk" | "delta"; extension?: true }[] = [];
    for (const entity of IMPORT_ORDER) {
      const declared = manifest.files.get(entity.toLowerCase());
      if (declared && declared.mode !== "absent") plan.push({ name: present.get(ENTITIES[entity].file.toLowerCase())!, entity, mode: declared.mode });
    }
    for (const [lower, name] of present) {
      if (lower === "manifest.csv" || !lower.endsWith(".csv")) continue;
      const base = name.slice(0, -4);
      if (isEntityName(base) || [...IMPORT_ORDER].some((e) => e.toLowerCase() === base.toLowerCase())) {
        if (!manifest.files.has(base.toLowerCase())) prelude.push(warning(name, `is not declared in manifest.csv; add file.${base}=bulk or delta. The file is ignored`));
        continue;
      }
      // Declared absent, it was said above that it is ignored: so it is.
      if (manifest.files.get(base.toLowerCase())?.mode === "absent") continue;
      // A vendor's extra file rides along: stored as its own entity, never deleting anything.
      prelude.push(warning(name, `is not a OneRoster file; its rows are stored as extension entity "${base}"`));
      plan.push({ name, entity: base, mode: "delta", extension: true });
    }
    if (prelude.length) yield prelude;
    for (const step of plan) {
      if (step.extension) yield* readExtensionFile(() => bundle.open(step.name), step.name, step.entity, passOverFor);
      else yield* readDataFile(await bundle.open(step.name), step.name, step.entity, step.mode, passOverFor, requiredIn(manifest.onerosterVersion, step.entity));
    }
  } finally {
    bundle.close();
  }
}

function warning(file: string, message: string): SourceEvent {
  return { kind: "issue", file, line: 0, entity: "manifest", sourcedId: "", severity: "WARNING", message };
}

/**
 * What OneRoster 1.1 requires of a users row that 1.2 moved to roles.csv
 * (the model checks these columns only where a file has them, as 1.2's
 * users.csv need not).
 */
function requiredIn(version: string, entity: string): RequiredHere | undefined {
  if (entity !== "users" || !version.startsWith("1.1")) return undefined;
  return { fields: ["orgSourcedIds", "role"], why: "OneRoster 1.1 users carry their orgs and role (1.2 moves them to roles.csv)" };
}
