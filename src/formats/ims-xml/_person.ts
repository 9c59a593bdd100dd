/**
 * `<person>` → a users row, plus a demographics row when the person carries a
 * gender or birthday.
 *
 * @module
 */

import type { _ImsContext } from "./_context.ts";
import { _at, _attr, _datePart, _kids, _txt, type _XNode } from "./_node.ts";

// IMS institutionroletype values (case-insensitive) → OneRoster user role.
const _INSTITUTION_ROLES: Record<string, string> = {
  student: "student",
  faculty: "teacher",
  staff: "teacher",
  instructor: "teacher",
  administrator: "administrator",
};

/**
 * Maps one complete `<person>`; problems become issues, never exceptions.
 *
 * @example
 * ```ts
 * _mapPerson(ctx, personNode); // ctx.out gains a users row (and a demographics row)
 * ```
 */
export function _mapPerson(ctx: _ImsContext, person: _XNode): void {
  const id = _txt(person, "sourcedid/id");
  if (id === "") {
    ctx.issue(person.line, "users", "", "ERROR", "<person> has no <sourcedid><id>; skipped");
    return;
  }
  const op = ctx.op(person, "users", id);
  // userid may carry a password attribute: deliberately never read.
  const userid = _txt(person, "userid");
  const { given, family } = _names(person);
  ctx.row(
    person.line,
    "users",
    {
      sourcedId: id,
      status: "",
      enabledUser: "true",
      role: _role(ctx, person, id, op),
      username: userid || id,
      identifier: userid,
      givenName: given,
      familyName: family,
      email: _txt(person, "email"),
      phone: _phone(person),
    },
    op,
  );
  _demographics(ctx, person, id, op);
}

/** Structured name parts when given, else a best split of the formatted name. */
function _names(person: _XNode): { given: string; family: string } {
  if (_at(person, "name/n") !== undefined) {
    return { given: _txt(person, "name/n/given"), family: _txt(person, "name/n/family") };
  }
  const fn = _txt(person, "name/fn").replace(/\s+/g, " ");
  const comma = fn.indexOf(",");
  if (comma >= 0) return { family: fn.slice(0, comma).trim(), given: fn.slice(comma + 1).trim() };
  const space = fn.indexOf(" ");
  // First word as given name keeps particles ("van der Berg") with the family name.
  if (space < 0) return { given: "", family: fn };
  return { given: fn.slice(0, space), family: fn.slice(space + 1) };
}

/** Voice number (teltype 1 or unspecified) preferred over mobile, fax or pager. */
function _phone(person: _XNode): string {
  const tels = _kids(person, "tel").filter((tel) => tel.text.trim() !== "");
  const voice = tels.find((tel) => ["", "1"].includes(_attr(tel, "teltype")));
  return (voice ?? tels[0])?.text.trim() ?? "";
}

function _role(ctx: _ImsContext, person: _XNode, id: string, op: "upsert" | "delete"): string {
  const roles = _kids(person, "institutionrole");
  const primary = roles.find((role) => _attr(role, "primaryrole").toLowerCase() === "yes") ?? roles[0];
  const type = _attr(primary, "institutionroletype");
  const role = _INSTITUTION_ROLES[type.toLowerCase()];
  if (role !== undefined) return role;
  // A deleted person's role is moot: no warning for it.
  if (op === "delete") return "student";
  const shown = type === "" ? "no institutionrole" : `institutionroletype "${type}"`;
  ctx.issue(person.line, "users", id, "WARNING", `${shown}: imported as role student`);
  return "student";
}

function _demographics(ctx: _ImsContext, person: _XNode, id: string, op: "upsert" | "delete"): void {
  const gender = _txt(person, "demographics/gender");
  const bday = _txt(person, "demographics/bday");
  if (gender === "" && bday === "") return;
  const birthDate = _datePart(bday);
  if (bday !== "" && birthDate === "") {
    ctx.issue(person.line, "demographics", id, "WARNING", `bday "${bday}" is not a YYYY-MM-DD date; left blank`);
  }
  ctx.row(person.line, "demographics", { sourcedId: id, status: "", birthDate, sex: _sex(ctx, person.line, id, gender) }, op);
}

/** IMS codes gender 0 unknown, 1 female, 2 male; some vendors write letters or words. */
function _sex(ctx: _ImsContext, line: number, id: string, gender: string): string {
  switch (gender.toLowerCase()) {
    case "1":
    case "f":
    case "female":
      return "female";
    case "2":
    case "m":
    case "male":
      return "male";
    case "":
    case "0":
      return "";
    default:
      ctx.issue(line, "demographics", id, "WARNING", `gender "${gender}" is not 0, 1, 2, M or F; left blank`);
      return "";
  }
}
