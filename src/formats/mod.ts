/**
 * Input formats: one adapter per format, each turning a submission into a
 * stream of canonical rows ({@link SourceStream}). This entry point picks
 * the adapter for a feed's `format`.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import type { FieldMapping } from "../mapping/mod.ts";
import { decodeText } from "./csv/decode.ts";
import { readDelimited } from "./delimited/mod.ts";
import { readImsXml } from "./ims-xml/mod.ts";
import { readOneRosterBundle } from "./oneroster-csv/mod.ts";
import { FileError, type FileMode, type PassOverFor, type SourceStream } from "./types.ts";

export * from "./types.ts";

export const FORMATS = ["oneroster-csv", "ims-xml", "delimited"] as const;
export type FormatName = (typeof FORMATS)[number];

/** What a delimited feed says about its files (CONTRACT.md `feeds[].fields`…). */
export interface DelimitedFeed {
  entity: string;
  delimiter?: string;
  quote?: string;
  mode?: FileMode;
  fields: FieldMapping[];
}

/** What an IMS feed may override: group types and role types. */
export interface ImsFeed {
  groupTypes?: Record<string, "orgs" | "courses" | "classes" | "academicSessions">;
  roleTypes?: Record<string, string>;
}

export interface SourceOptions {
  delimited?: DelimitedFeed;
  ims?: ImsFeed;
}

const CHUNK = 1024 * 1024;

/**
 * Opens the submission at `paths` in the given format. `passOverFor` lets
 * the reader skip rows the caller recognises from their digest (only
 * OneRoster CSV gives rows digests).
 *
 * @example
 * for await (const batch of openSource("oneroster-csv", ["/tmp/bundle"])) …
 */
export function openSource(format: FormatName, paths: readonly string[], options: SourceOptions = {}, passOverFor?: PassOverFor): SourceStream {
  switch (format) {
    case "oneroster-csv":
      return readOneRosterBundle(paths, passOverFor);
    case "ims-xml":
      return eachFile(paths, (text, file) => readImsXml(text, { file, ...options.ims }));
    case "delimited": {
      const feed = options.delimited;
      if (!feed) throw new FileError(paths[0] ?? "", 0, "a delimited feed needs its entity and fields mapping (--mapping FILE)");
      return eachFile(paths, (text, file) => readDelimited(text, { file, ...feed }));
    }
  }
}

/** Single-file formats: each path is read in turn, in the order given. */
async function* eachFile(
  paths: readonly string[],
  read: (text: AsyncIterable<string>, file: string) => SourceStream,
): SourceStream {
  for (const path of paths) {
    const file = basename(path);
    yield* read(decodeText(createReadStream(path, { highWaterMark: CHUNK }), file), file);
  }
}
