/**
 * State shared by the record mappers while one file is read: the output
 * batch, what earlier records told us (which ids are orgs, which org a course
 * belongs to), the current membership, and warnings already given once.
 *
 * @module
 */

import type { SourceEvent } from "../types.ts";
import { _attr, type _XNode } from "./_node.ts";
import { _groupTypeKey, type _GroupEntity, type _Resolved } from "./_options.ts";

/** Mapper state for one file. */
export class _ImsContext {
  /** Events of the current input chunk; the reader swaps it out after each chunk. */
  out: SourceEvent[] = [];
  /** Ids of groups mapped to orgs so far: classes may only point at a school we know is one. */
  readonly orgIds = new Set<string>();
  /** Course id → its org, so a class under a course inherits the course's school. */
  readonly courseOrgs = new Map<string, string>();
  /** Class id → its school, so an enrollment carries the school OneRoster requires. */
  readonly classSchools = new Map<string, string>();
  /** The `<membership>` being read. */
  membership: { line: number; groupId: string; reported: boolean } | null = null;
  private readonly _warned = new Set<string>();

  constructor(readonly options: _Resolved) {}

  row(line: number, entity: string, fields: Record<string, string>, op: "upsert" | "delete"): void {
    this.out.push({ kind: "row", file: this.options.file, line, entity, fields, op });
  }

  issue(line: number, entity: string, sourcedId: string, severity: "ERROR" | "WARNING", message: string): void {
    this.out.push({ kind: "issue", file: this.options.file, line, entity, sourcedId, severity, message });
  }

  /** Like {@link issue}, but only the first time `key` is seen in this file: a vendor quirk repeats on every record. */
  warnOnce(key: string, line: number, entity: string, sourcedId: string, message: string): void {
    if (this._warned.has(key)) return;
    this._warned.add(key);
    this.issue(line, entity, sourcedId, "WARNING", message);
  }

  /** recstatus 3 deletes; 1 add, 2 update and absent/0 all mean "make it so". */
  op(node: _XNode, entity: string, sourcedId: string): "upsert" | "delete" {
    const recstatus = _attr(node, "recstatus");
    if (recstatus === "3") return "delete";
    if (recstatus !== "" && recstatus !== "0" && recstatus !== "1" && recstatus !== "2") {
      this.issue(node.line, entity, sourcedId, "WARNING", `recstatus "${recstatus}" is not 0-3; treated as an add/update`);
    }
    return "upsert";
  }

  /** Entity for a group typevalue; unknown values fall back to classes, said once per value. */
  groupEntity(typevalue: string, line: number, sourcedId: string): _GroupEntity {
    const entity = this.options.groupTypes.get(_groupTypeKey(typevalue));
    if (entity !== undefined) return entity;
    const shown = typevalue.trim() === "" ? "(none)" : `"${typevalue.trim()}"`;
    this.warnOnce(
      `grouptype:${_groupTypeKey(typevalue)}`,
      line,
      "classes",
      sourcedId,
      `group typevalue ${shown} is not in the groupTypes mapping; such groups are imported as classes`,
    );
    return "classes";
  }
}
