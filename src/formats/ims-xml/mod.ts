/**
 * IMS Enterprise 1.1 XML adapter: streams an `<enterprise>` document into
 * canonical OneRoster rows (users, demographics, orgs, courses, classes,
 * academicSessions, enrollments).
 *
 * IMS files are event-style (each record says add, update or delete), so every
 * entity is opened in delta mode. The document is never held whole: one
 * person, group or membership member is built at a time, and DOCTYPEs are
 * refused so no entity can expand or reach outside the file.
 *
 * @module
 */

import type { FileStart, SourceEvent } from "../types.ts";
import { _ImsContext } from "./_context.ts";
import { _groupEntityOf, _mapGroup } from "./_group.ts";
import { _mapMember, _membershipId } from "./_membership.ts";
import { _resolveOptions } from "./_options.ts";
import { _mapPerson } from "./_person.ts";
import { _ImsWalker, type _RecordKind } from "./_walker.ts";
import { _txt, type _XNode } from "./_node.ts";

/** How to read one IMS Enterprise file. */
export interface ImsOptions {
  /** Display name for results, e.g. "strata_2026_11_24.xml". */
  file: string;
  /**
   * Group typevalue (case-insensitive) → entity, merged over the default
   * { school, district, org, department → orgs; course → courses; "course offering",
   * section, class → classes; term, session → academicSessions }. Unknown values become classes.
   */
  groupTypes?: Record<string, "orgs" | "courses" | "classes" | "academicSessions">;
  /** IMS roletype → OneRoster role, merged over the default 01/04 student, 02/03/06/08 teacher, 05/07 administrator. */
  roleTypes?: Record<string, string>;
}

// The order entities are announced in; rows then follow in document order.
const _ENTITIES = ["users", "orgs", "courses", "classes", "academicSessions", "enrollments", "demographics"];

/**
 * Streams an IMS Enterprise 1.1 document into canonical rows, one batch of
 * events per input chunk, after a first batch announcing every entity (delta).
 * Record-level problems are `SourceIssue`s; a file that is not well-formed,
 * has a DOCTYPE or an undeclared entity, holds a token over 1 MiB, or is not
 * rooted at `<enterprise>` throws a `FileError`.
 *
 * @example
 * ```ts
 * import { createReadStream } from "node:fs";
 * const text = createReadStream("strata_2026_11_24.xml", { encoding: "utf8" });
 * for await (const batch of readImsXml(text, { file: "strata_2026_11_24.xml" })) {
 *   for (const event of batch) if (event.kind === "row") console.log(event.entity, event.fields.sourcedId, event.op);
 * }
 * ```
 */
export async function* readImsXml(source: AsyncIterable<string>, options: ImsOptions): AsyncGenerator<SourceEvent[]> {
  const ctx = new _ImsContext(_resolveOptions(options));
  yield _ENTITIES.map((entity): FileStart => ({ kind: "file", file: options.file, entity, mode: "delta" }));
  const walker = new _ImsWalker(options.file, {
    record: (kind, node, problem) => _dispatch(ctx, kind, node, problem),
    membershipStart: (line) => void (ctx.membership = { line, groupId: "", reported: false }),
    membershipEnd: () => void (ctx.membership = null),
  });
  for await (const chunk of source) {
    walker.write(chunk);
    if (ctx.out.length > 0) {
      yield ctx.out;
      ctx.out = [];
    }
  }
  walker.close();
  if (ctx.out.length > 0) yield ctx.out;
}

function _dispatch(ctx: _ImsContext, kind: _RecordKind, node: _XNode, problem: string | null): void {
  if (problem !== null) {
    _refuse(ctx, kind, node, problem);
    return;
  }
  switch (kind) {
    case "person":
      return _mapPerson(ctx, node);
    case "group":
      return _mapGroup(ctx, node);
    case "membershipId":
      return _membershipId(ctx, node);
    case "member":
      return _mapMember(ctx, node);
  }
}

/** A record that hit a size limit is reported whole rather than imported truncated. */
function _refuse(ctx: _ImsContext, kind: _RecordKind, node: _XNode, problem: string): void {
  // The id and typevalue come first in IMS records, so they are usually there.
  const id = kind === "membershipId" ? _txt(node, "id") : _txt(node, "sourcedid/id");
  const entity = kind === "person" ? "users" : kind === "group" ? _groupEntityOf(ctx, node, id) : "enrollments";
  const what = kind === "membershipId" ? "membership sourcedid" : kind;
  ctx.issue(node.line, entity, id, "ERROR", `<${what}> skipped: ${problem}`);
}
