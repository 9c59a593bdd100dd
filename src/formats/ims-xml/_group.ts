/**
 * `<group>` → an orgs, courses, classes or academicSessions row, chosen by its
 * `grouptype/typevalue` through the configured groupTypes mapping.
 *
 * @module
 */

import type { _ImsContext } from "./_context.ts";
import { _attr, _datePart, _kids, _txt, type _XNode } from "./_node.ts";
import { _groupTypeKey, type _GroupEntity } from "./_options.ts";

/**
 * Maps one complete `<group>`; problems become issues, never exceptions.
 *
 * @example
 * ```ts
 * _mapGroup(ctx, groupNode); // ctx.out gains an orgs, courses, classes or academicSessions row
 * ```
 */
export function _mapGroup(ctx: _ImsContext, group: _XNode): void {
  const id = _txt(group, "sourcedid/id");
  const typevalue = _typevalue(group);
  const entity = _groupEntityOf(ctx, group, id);
  if (id === "") {
    ctx.issue(group.line, entity, "", "ERROR", "<group> has no <sourcedid><id>; skipped");
    return;
  }
  const op = ctx.op(group, entity, id);
  const short = _txt(group, "description/short");
  const long = _txt(group, "description/long");
  const full = _txt(group, "description/full");
  const title = long || short || full;
  const parent = _parent(group);
  const base = { sourcedId: id, status: "" };
  switch (entity) {
    case "orgs": {
      if (op === "upsert") ctx.orgIds.add(id);
      else ctx.orgIds.delete(id);
      ctx.row(group.line, entity, { ...base, name: short || long || full, type: _orgType(typevalue), parentSourcedId: parent }, op);
      return;
    }
    case "courses": {
      if (parent !== "" && op === "upsert") ctx.courseOrgs.set(id, parent);
      ctx.row(group.line, entity, { ...base, title, courseCode: short, orgSourcedId: parent }, op);
      return;
    }
    case "classes": {
      const parentIsOrg = ctx.orgIds.has(parent);
      const school = [parent, ..._related(group)].find((target) => ctx.orgIds.has(target)) ?? ctx.courseOrgs.get(parent) ?? "";
      // Kept even for a section rejected below, so that its memberships fail on the missing class alone.
      if (school !== "" && op === "upsert") ctx.classSchools.set(id, school);
      // A section hung directly under a school has a school but no course, and a OneRoster class needs
      // one (FORMATS.md, classes). The generic "courseSourcedId: required but empty" would not say
      // where in the XML to look, so the section is rejected here, saying what to change.
      if (parentIsOrg && op === "upsert") {
        ctx.issue(
          group.line,
          entity,
          id,
          "ERROR",
          `courseSourcedId: section "${id}" has no course: its parent <relationship relation="1"> points at "${parent}", an org group, not a course; ` +
            "point it at the section's course group instead (a class needs a course; its school is then taken from the course)",
        );
        return;
      }
      // IMS has no terms: termSourcedIds is left out rather than sent empty (it is required when given).
      ctx.row(
        group.line,
        entity,
        {
          ...base,
          title,
          classCode: short,
          classType: "scheduled",
          courseSourcedId: parentIsOrg ? "" : parent,
          schoolSourcedId: school,
        },
        op,
      );
      return;
    }
    case "academicSessions": {
      const startDate = _datePart(_txt(group, "timeframe/begin"));
      const endDate = _datePart(_txt(group, "timeframe/end"));
      const schoolYear = (endDate || startDate).slice(0, 4);
      ctx.row(group.line, entity, { ...base, title, type: "term", startDate, endDate, parentSourcedId: parent, schoolYear }, op);
      return;
    }
  }
}

/**
 * The entity a group maps to, from its typevalue.
 *
 * @example
 * ```ts
 * _groupEntityOf(ctx, sectionGroup, "SEC-1"); // "classes"
 * ```
 */
export function _groupEntityOf(ctx: _ImsContext, group: _XNode, id: string): _GroupEntity {
  return ctx.groupEntity(_typevalue(group), group.line, id);
}

/** First non-empty typevalue: groups may list several grouptype schemes. */
function _typevalue(group: _XNode): string {
  for (const grouptype of _kids(group, "grouptype")) {
    for (const value of _kids(grouptype, "typevalue")) {
      if (value.text.trim() !== "") return value.text.trim();
    }
  }
  return "";
}

/** `relation="1"` is the parent group. */
function _parent(group: _XNode): string {
  const parent = _kids(group, "relationship").find((rel) => _attr(rel, "relation") === "1");
  return _txt(parent, "sourcedid/id");
}

/** Targets of every relationship, in document order. */
function _related(group: _XNode): string[] {
  return _kids(group, "relationship")
    .map((rel) => _txt(rel, "sourcedid/id"))
    .filter((target) => target !== "");
}

/** OneRoster org type; district and department are org types of their own, anything else is a school. */
function _orgType(typevalue: string): string {
  const key = _groupTypeKey(typevalue);
  return key === "district" || key === "department" ? key : "school";
}
