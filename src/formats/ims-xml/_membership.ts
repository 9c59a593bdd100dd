/**
 * `<membership>` members → enrollments rows, one per `<role>` of each person
 * member. Members arrive one at a time (the walker never holds a whole
 * membership); the group id comes from the membership's own `<sourcedid>`.
 *
 * @module
 */

import type { _ImsContext } from "./_context.ts";
import { _at, _attr, _datePart, _kids, _txt, type _XNode } from "./_node.ts";
import { _roleTypeKey } from "./_options.ts";

/**
 * Records the membership's group id (its `<sourcedid>` record).
 *
 * @example
 * ```ts
 * _membershipId(ctx, sourcedidNode); // ctx.membership.groupId === "SEC-MATH1-01"
 * ```
 */
export function _membershipId(ctx: _ImsContext, sourcedid: _XNode): void {
  if (ctx.membership !== null && ctx.membership.groupId === "") ctx.membership.groupId = _txt(sourcedid, "id");
}

/**
 * Maps one complete `<member>`; problems become issues, never exceptions.
 *
 * @example
 * ```ts
 * _mapMember(ctx, memberNode); // ctx.out gains one enrollments row per <role>
 * ```
 */
export function _mapMember(ctx: _ImsContext, member: _XNode): void {
  const membership = ctx.membership;
  const groupId = membership?.groupId ?? "";
  if (membership === null || groupId === "") {
    // Said once per membership: every member of it has the same problem.
    if (membership !== null && !membership.reported) {
      membership.reported = true;
      ctx.issue(member.line, "enrollments", "", "ERROR", "<membership> has no <sourcedid><id> before its members; its members are skipped");
    }
    return;
  }
  const idtype = _txt(member, "idtype");
  if (idtype === "2") {
    ctx.warnOnce("idtype2", member.line, "enrollments", "", "members with idtype 2 (groups inside groups) are not imported; this and later ones are ignored");
    return;
  }
  const personId = _txt(member, "sourcedid/id");
  if (idtype !== "1" && idtype !== "") {
    ctx.issue(member.line, "enrollments", personId, "WARNING", `member idtype "${idtype}" is neither 1 (person) nor 2 (group); ignored`);
    return;
  }
  if (personId === "") {
    ctx.issue(member.line, "enrollments", "", "ERROR", `<member> of group ${groupId} has no <sourcedid><id>; skipped`);
    return;
  }
  const roles = _kids(member, "role");
  if (roles.length === 0) {
    ctx.issue(member.line, "enrollments", personId, "ERROR", `<member> ${personId} of group ${groupId} has no <role>; skipped`);
  }
  for (const role of roles) _mapRole(ctx, groupId, personId, role);
}

function _mapRole(ctx: _ImsContext, groupId: string, personId: string, role: _XNode): void {
  // Most vendors write roletype as an attribute, some as a child element.
  const roletype = _roleTypeKey(_attr(role, "roletype") || _txt(role, "roletype"));
  const fallbackId = `${groupId}-${personId}`;
  if (roletype === "") {
    ctx.issue(role.line, "enrollments", fallbackId, "ERROR", `<role> of ${personId} in ${groupId} has no roletype; skipped`);
    return;
  }
  // Deterministic, so importing the same file twice touches the same rows.
  const sourcedId = `${groupId}-${personId}-${roletype}`;
  const mapped = ctx.options.roleTypes.get(roletype);
  if (mapped === undefined) {
    ctx.issue(role.line, "enrollments", sourcedId, "ERROR", `roletype "${roletype}" is not in the roleTypes mapping; skipped`);
    return;
  }
  const op = ctx.op(role, "enrollments", sourcedId) === "delete" || _txt(role, "status") === "0" ? "delete" : "upsert";
  ctx.row(
    role.line,
    "enrollments",
    {
      sourcedId,
      status: "",
      classSourcedId: groupId,
      // Left out, not empty, when the class's school is unknown: the field is required when given.
      ...(ctx.classSchools.has(groupId) ? { schoolSourcedId: ctx.classSchools.get(groupId)! } : {}),
      userSourcedId: personId,
      role: mapped,
      primary: "false",
      beginDate: _restricted(_at(role, "timeframe/begin")),
      endDate: _restricted(_at(role, "timeframe/end")),
    },
    op,
  );
}

/** Only dates marked `restrict="1"` bind access; unrestricted ones are informational. */
function _restricted(node: _XNode | undefined): string {
  return node !== undefined && _attr(node, "restrict") === "1" ? _datePart(node.text) : "";
}
