/**
 * Which fields an export of an entity can name: its own fields, and fields
 * of the records it points at, written `join.field` — where a registrar
 * would expect them. An enrollment reaches `user.identifier`,
 * `class.classCode`, `school.name`; a class `course.title`; a user its
 * first org as `org.name` and its demographics (`sex`, `birthDate`, also as
 * `demographics.sex`), which share the user's sourcedId.
 *
 * Joins come from the field specs: a reference field `xSourcedId` (or the
 * list `xSourcedIds`, first id) gives the join `x`.
 *
 * @module
 */
import { ENTITIES, isEntityName, type EntityName } from "./entities.ts";

/** sourcedId, status, dateLastModified: every record has them. */
const COMMON = ["sourcedId", "status", "dateLastModified"];

export interface Join {
  /** The name used in `join.field`. */
  name: string;
  /** The field holding the id (a list: its first id). */
  via: string;
  entity: EntityName;
  many: boolean;
}

/** Records that share the sourcedId of the record: a user's demographics (and a demographics record's user). */
const SAME_ID: Partial<Record<EntityName, EntityName>> = { users: "demographics", demographics: "users" };

/** The joins an entity's records offer. */
export function joinsOf(entity: EntityName): Join[] {
  const out: Join[] = [];
  for (const f of ENTITIES[entity].fields) {
    if (!f.ref) continue;
    const name = f.name.replace(/SourcedIds?$/, "");
    if (name !== f.name && name !== "") out.push({ name, via: f.name, entity: f.ref, many: f.many === true });
  }
  const same = SAME_ID[entity];
  if (same) out.push({ name: same === "demographics" ? "demographics" : "user", via: "sourcedId", entity: same, many: false });
  return out;
}

/** The fields of an entity's own records. */
export function ownFields(entity: EntityName): string[] {
  return [...COMMON, ...ENTITIES[entity].fields.map((f) => f.name)];
}

export type FieldSource = { join: undefined; field: string } | { join: Join; field: string };

/**
 * Where an export of `entity` reads `name` from, or a message saying what
 * names exist.
 *
 * @example resolveField("enrollments", "user.identifier") // { join: { name: "user", via: "userSourcedId", … }, field: "identifier" }
 */
export function resolveField(entity: string, name: string): FieldSource | string {
  if (!isEntityName(entity)) return `"${entity}" is not an entity; one of ${Object.keys(ENTITIES).join(", ")}`;
  const own = ownFields(entity);
  if (own.includes(name)) return { join: undefined, field: name };
  const joins = joinsOf(entity);
  const dot = name.indexOf(".");
  if (dot > 0) {
    const join = joins.find((j) => j.name === name.slice(0, dot));
    const field = name.slice(dot + 1);
    if (!join) return `"${name}": ${entity} has no join "${name.slice(0, dot)}"; joins: ${joins.map((j) => j.name).join(", ") || "none"}`;
    if (!ownFields(join.entity).includes(field)) return `"${name}": ${join.entity} has no field "${field}"`;
    return { join, field };
  }
  // A user's demographics fields by their own names, as the contract's example writes `sex` for users.
  const demographics = joins.find((j) => j.name === "demographics");
  if (demographics && ownFields("demographics").includes(name)) return { join: demographics, field: name };
  return `${entity} has no field "${name}"; fields: ${own.join(", ")}${joins.length ? `; or join.field with ${joins.map((j) => j.name).join(", ")}` : ""}`;
}
