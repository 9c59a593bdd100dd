/**
 * Default IMS → OneRoster vocabularies and the normalisation of caller
 * overrides (group type values are matched case-insensitively, role types
 * with or without their leading zero).
 *
 * @module
 */

/** Canonical entity a `<group>` can become. */
export type _GroupEntity = "orgs" | "courses" | "classes" | "academicSessions";

/** Options after defaults are applied; keys already normalised. */
export interface _Resolved {
  file: string;
  groupTypes: Map<string, _GroupEntity>;
  roleTypes: Map<string, string>;
}

const _DEFAULT_GROUP_TYPES: Record<string, _GroupEntity> = {
  school: "orgs",
  district: "orgs",
  org: "orgs",
  department: "orgs",
  course: "courses",
  "course offering": "classes",
  section: "classes",
  class: "classes",
  term: "academicSessions",
  session: "academicSessions",
};

// 01 Learner, 02 Instructor, 03 Content Developer, 04 Member, 05 Manager,
// 06 Mentor, 07 Administrator, 08 Teaching Assistant.
const _DEFAULT_ROLE_TYPES: Record<string, string> = {
  "01": "student",
  "02": "teacher",
  "03": "teacher",
  "04": "student",
  "05": "administrator",
  "06": "teacher",
  "07": "administrator",
  "08": "teacher",
};

/**
 * Group typevalue key: case and surrounding/inner runs of blanks do not matter.
 *
 * @example
 * ```ts
 * _groupTypeKey(" Course  Offering "); // "course offering"
 * ```
 */
export function _groupTypeKey(typevalue: string): string {
  return typevalue.trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * Role type key: vendors write both `1` and `01`.
 *
 * @example
 * ```ts
 * _roleTypeKey("1"); // "01"
 * ```
 */
export function _roleTypeKey(roletype: string): string {
  const trimmed = roletype.trim();
  return /^\d$/.test(trimmed) ? `0${trimmed}` : trimmed;
}

/**
 * Applies defaults; caller entries are merged over them so adding one vendor
 * value does not silently drop the standard ones.
 *
 * @example
 * ```ts
 * const resolved = _resolveOptions({ file: "x.xml", groupTypes: { Campus: "orgs" } });
 * resolved.groupTypes.get("campus"); // "orgs"
 * resolved.roleTypes.get("02"); // "teacher"
 * ```
 */
export function _resolveOptions(options: {
  file: string;
  groupTypes?: Record<string, _GroupEntity>;
  roleTypes?: Record<string, string>;
}): _Resolved {
  const groupTypes = new Map<string, _GroupEntity>();
  for (const [key, entity] of Object.entries({ ..._DEFAULT_GROUP_TYPES, ...options.groupTypes })) {
    groupTypes.set(_groupTypeKey(key), entity);
  }
  const roleTypes = new Map<string, string>();
  for (const [key, role] of Object.entries({ ..._DEFAULT_ROLE_TYPES, ...options.roleTypes })) {
    roleTypes.set(_roleTypeKey(key), role);
  }
  return { file: options.file, groupTypes, roleTypes };
}
