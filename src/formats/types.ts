/**
 * What every input format adapter produces: a stream of canonical rows.
 *
 * An adapter reads one submission (a OneRoster bundle, an IMS Enterprise XML
 * file, a delimited file) and turns it into {@link SourceRow}s named with
 * OneRoster entity and field names. It only reads: validation of values,
 * references and the plan against the store happen later in the importer.
 *
 * @module
 */

/** How the rows of one file relate to what the store already holds. */
export type FileMode = "bulk" | "delta";

/** Opens one entity's file inside a submission. */
export interface FileStart {
  kind: "file";
  /** Name shown to people in results: `users.csv`, `roster.xml`. */
  file: string;
  /** OneRoster entity name (`users`, `enrollments`…) or an extension entity. */
  entity: string;
  /** bulk: rows absent from this file are deleted; delta: only the rows given change. */
  mode: FileMode;
}

/** One record as the source gave it, fields by canonical name, values as text. */
export interface SourceRow {
  kind: "row";
  file: string;
  /** Line where the row starts, counted as an editor shows it (1-based, the header is line 1). */
  line: number;
  entity: string;
  /** Canonical field name → raw text ("" for an empty field). */
  fields: Record<string, string>;
  /** "delete" when the source says so (IMS recstatus 3); OneRoster deltas say it with `status`. */
  op?: "upsert" | "delete";
  /** Field names whose blank value must keep the stored value (mapping `blank: keep`). */
  keepBlank?: string[];
  /**
   * The row as read (its raw text, or its values when it crossed a chunk),
   * hashed with its file's header (`digest.ts`): equal digests, the same
   * row. Only adapters whose rows mean the same
   * from one import to the next give one (OneRoster CSV; a delimited file's
   * meaning depends on its mapping).
   */
  digest?: number;
}

/** A problem the adapter found in one row or one header: reported, never fatal. */
export interface SourceIssue {
  kind: "issue";
  file: string;
  line: number;
  entity: string;
  sourcedId: string;
  severity: "ERROR" | "WARNING";
  message: string;
}

/**
 * A row the importer's {@link PassOver} recognised from its digest and let
 * by: its fields were never made. Only its place and key come through.
 */
export interface SourcePassed {
  kind: "passed";
  file: string;
  line: number;
  entity: string;
  sourcedId: string;
  digest: number;
}

export type SourceEvent = FileStart | SourceRow | SourceIssue | SourcePassed;

/**
 * Asked, for a row that has a digest, before its fields are made: whether
 * the reader may pass it over. `field` reads one of its fields by canonical
 * name (undefined when the file has no such column). An adapter that cannot
 * ask simply never does; the row then comes as a {@link SourceRow}.
 */
export type PassOver = (line: number, digest: number, sourcedId: string, field: (name: string) => string | undefined) => boolean;

/** Gives the {@link PassOver} for one file, once its rows start (after its {@link FileStart} was taken), or none. */
export type PassOverFor = (entity: string, file: string) => PassOver | undefined;

/**
 * A problem that makes a whole file unusable (missing file, wrong header,
 * unterminated quote at end of file, invalid UTF-8, binary garbage).
 * Nothing of the submission is applied when one is thrown.
 */
export class FileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    /** The message without the file and line in front: for a report that names them already. */
    readonly reason: string,
  ) {
    super(line > 0 ? `${file} line ${line}: ${reason}` : `${file}: ${reason}`);
    this.name = "FileError";
  }
}

/**
 * An adapter streams events in batches (one await per batch, not per row, keeps
 * the hot loop fast). Files come in dependency order: orgs, academicSessions,
 * courses, classes, users, roles, enrollments, demographics, then the rest.
 */
export type SourceStream = AsyncIterable<SourceEvent[]>;
