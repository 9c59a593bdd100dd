/**
 * The canonical roster model: OneRoster 1.1/1.2 entities and the rules of
 * their fields. Every input format maps into these names; the importer
 * validates rows against them; exports read them back.
 *
 * @module
 */

/** How a field's text is checked and normalised. */
export type FieldType =
  | "text"
  | "id" // a sourcedId-safe string
  | "date" // YYYY-MM-DD
  | "datetime" // ISO 8601
  | "boolean" // true/false, any case
  | "year" // 4 digits
  | "enum"
  | "list" // comma-separated values
  | "grades"; // comma-separated CEDS grade codes

export interface FieldSpec {
  name: string;
  type: FieldType;
  required?: boolean;
  /** Allowed values for enum fields (matched case-insensitively, stored as written here). */
  values?: readonly string[];
  /** The entity this field's id (or each id of a list) must exist in. */
  ref?: EntityName;
  /** A list of ids (termSourcedIds, orgSourcedIds, agentSourcedIds). */
  many?: boolean;
}

export interface EntitySpec {
  name: EntityName;
  /** The CSV file name in a OneRoster bundle. */
  file: string;
  /** Fields after sourcedId, status, dateLastModified, in OneRoster column order. */
  fields: readonly FieldSpec[];
  /** Header names seen in real files → canonical name (lower-case keys). */
  aliases?: Readonly<Record<string, string>>;
}

export const ENTITY_NAMES = [
  "orgs",
  "academicSessions",
  "courses",
  "classes",
  "users",
  "roles",
  "enrollments",
  "demographics",
  "userProfiles",
  "categories",
  "lineItems",
  "results",
  "resources",
  "classResources",
  "courseResources",
] as const;
export type EntityName = (typeof ENTITY_NAMES)[number];

const GRADES = ["IT", "PR", "PK", "TK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "PS", "UG", "Other"];
const ORG_TYPES = ["department", "school", "district", "local", "state", "national"];
const SESSION_TYPES = ["gradingPeriod", "semester", "schoolYear", "term"];
const USER_ROLES = ["administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"];
const ROLE_ROLES = ["aide", "counselor", "districtAdministrator", "guardian", "parent", "principal", "proctor", "relative", "siteAdministrator", "student", "systemAdministrator", "teacher", "administrator"];
const ENROLL_ROLES = ["administrator", "proctor", "student", "teacher", "aide", "guardian", "parent", "relative"];
const SEX = ["male", "female", "unspecified", "other"];

const f = (name: string, type: FieldType, extra: Omit<FieldSpec, "name" | "type"> = {}): FieldSpec => ({ name, type, ...extra });
const req = { required: true } as const;
const bool = (name: string) => f(name, "boolean");

export const ENTITIES: Readonly<Record<EntityName, EntitySpec>> = {
  orgs: {
    name: "orgs",
    file: "orgs.csv",
    fields: [
      f("name", "text", req),
      f("type", "enum", { ...req, values: ORG_TYPES }),
      f("identifier", "text"),
      f("parentSourcedId", "id", { ref: "orgs" }),
    ],
  },
  academicSessions: {
    name: "academicSessions",
    file: "academicSessions.csv",
    fields: [
      f("title", "text", req),
      f("type", "enum", { ...req, values: SESSION_TYPES }),
      f("startDate", "date", req),
      f("endDate", "date", req),
      f("parentSourcedId", "id", { ref: "academicSessions" }),
      f("schoolYear", "year", req),
    ],
  },
  courses: {
    name: "courses",
    file: "courses.csv",
    fields: [
      f("schoolYearSourcedId", "id", { ref: "academicSessions" }),
      f("title", "text", req),
      f("courseCode", "text"),
      f("grades", "grades"),
      f("orgSourcedId", "id", { ...req, ref: "orgs" }),
      f("subjects", "list"),
      f("subjectCodes", "list"),
    ],
    aliases: { grade: "grades" },
  },
  classes: {
    name: "classes",
    file: "classes.csv",
    fields: [
      f("title", "text", req),
      f("grades", "grades"),
      f("courseSourcedId", "id", { ...req, ref: "courses" }),
      f("classCode", "text"),
      f("classType", "enum", { ...req, values: ["homeroom", "scheduled"] }),
      f("location", "text"),
      f("schoolSourcedId", "id", { ...req, ref: "orgs" }),
      f("termSourcedIds", "id", { ...req, ref: "academicSessions", many: true }),
      f("subjects", "list"),
      f("subjectCodes", "list"),
      f("periods", "list"),
    ],
    aliases: { grade: "grades" },
  },
  users: {
    name: "users",
    file: "users.csv",
    fields: [
      f("enabledUser", "boolean", req),
      // Required in 1.1; 1.2 moves org and role to roles.csv, so both are checked only when the column is present.
      f("orgSourcedIds", "id", { ref: "orgs", many: true }),
      f("role", "enum", { values: USER_ROLES }),
      f("username", "text", req),
      f("userIds", "list"),
      f("givenName", "text", req),
      f("familyName", "text", req),
      f("middleName", "text"),
      f("identifier", "text"),
      f("email", "text"),
      f("sms", "text"),
      f("phone", "text"),
      f("agentSourcedIds", "id", { ref: "users", many: true }),
      f("grades", "grades"),
      f("password", "text"),
      f("userMasterIdentifier", "text"),
      f("preferredGivenName", "text"),
      f("preferredMiddleName", "text"),
      f("preferredFamilyName", "text"),
      f("primaryOrgSourcedId", "id", { ref: "orgs" }),
      f("pronouns", "text"),
    ],
    aliases: { userid: "userIds", grade: "grades" },
  },
  roles: {
    name: "roles",
    file: "roles.csv",
    fields: [
      f("userSourcedId", "id", { ...req, ref: "users" }),
      f("roleType", "enum", { ...req, values: ["primary", "secondary"] }),
      f("role", "enum", { ...req, values: ROLE_ROLES }),
      f("beginDate", "date"),
      f("endDate", "date"),
      f("orgSourcedId", "id", { ...req, ref: "orgs" }),
      f("userProfileSourcedId", "id"),
    ],
  },
  enrollments: {
    name: "enrollments",
    file: "enrollments.csv",
    fields: [
      f("classSourcedId", "id", { ...req, ref: "classes" }),
      f("schoolSourcedId", "id", { ...req, ref: "orgs" }),
      f("userSourcedId", "id", { ...req, ref: "users" }),
      f("role", "enum", { ...req, values: ENROLL_ROLES }),
      bool("primary"),
      f("beginDate", "date"),
      f("endDate", "date"),
    ],
  },
  demographics: {
    name: "demographics",
    file: "demographics.csv",
    fields: [
      f("birthDate", "date"),
      f("sex", "enum", { values: SEX }),
      bool("americanIndianOrAlaskaNative"),
      bool("asian"),
      bool("blackOrAfricanAmerican"),
      bool("nativeHawaiianOrOtherPacificIslander"),
      bool("white"),
      bool("demographicRaceTwoOrMoreRaces"),
      bool("hispanicOrLatinoEthnicity"),
      f("countryOfBirthCode", "text"),
      f("stateOfBirthAbbreviation", "text"),
      f("cityOfBirth", "text"),
      f("publicSchoolResidenceStatus", "text"),
    ],
    // 1.0-era files key demographics by userSourcedId.
    aliases: { usersourcedid: "sourcedId" },
  },
  userProfiles: {
    name: "userProfiles",
    file: "userProfiles.csv",
    fields: [
      f("userSourcedId", "id", { ...req, ref: "users" }),
      f("profileType", "text", req),
      f("vendorId", "text", req),
      f("applicationId", "text"),
      f("description", "text"),
      f("credentialType", "text", req),
      f("username", "text", req),
      f("password", "text"),
    ],
  },
  categories: { name: "categories", file: "categories.csv", fields: [f("title", "text", req)] },
  lineItems: {
    name: "lineItems",
    file: "lineItems.csv",
    fields: [
      f("title", "text", req),
      f("description", "text"),
      f("assignDate", "text"),
      f("dueDate", "text"),
      f("classSourcedId", "id", { ...req, ref: "classes" }),
      f("categorySourcedId", "id", { ref: "categories" }),
      f("gradingPeriodSourcedId", "id", { ref: "academicSessions" }),
      f("resultValueMin", "text"),
      f("resultValueMax", "text"),
    ],
  },
  results: {
    name: "results",
    file: "results.csv",
    fields: [
      f("lineItemSourcedId", "id", { ...req, ref: "lineItems" }),
      f("studentSourcedId", "id", { ...req, ref: "users" }),
      f("scoreStatus", "text"),
      f("score", "text"),
      f("scoreDate", "text"),
      f("comment", "text"),
    ],
  },
  resources: {
    name: "resources",
    file: "resources.csv",
    fields: [f("vendorResourceId", "text", req), f("title", "text"), f("roles", "list"), f("importance", "text"), f("vendorId", "text"), f("applicationId", "text")],
  },
  classResources: {
    name: "classResources",
    file: "classResources.csv",
    fields: [f("title", "text"), f("classSourcedId", "id", { ...req, ref: "classes" }), f("resourceSourcedId", "id", { ...req, ref: "resources" })],
  },
  courseResources: {
    name: "courseResources",
    file: "courseResources.csv",
    fields: [f("title", "text"), f("courseSourcedId", "id", { ...req, ref: "courses" }), f("resourceSourcedId", "id", { ...req, ref: "resources" })],
  },
};

/** The three columns every OneRoster data file starts with. */
export const COMMON_FIELDS = ["sourcedId", "status", "dateLastModified"] as const;

export function isEntityName(name: string): name is EntityName {
  return (ENTITY_NAMES as readonly string[]).includes(name);
}

/** Import order: an entity comes after every entity its references point to (self-references are checked at the end). */
export const IMPORT_ORDER: readonly EntityName[] = [
  "orgs",
  "academicSessions",
  "courses",
  "classes",
  "users",
  "roles",
  "userProfiles",
  "enrollments",
  "demographics",
  "categories",
  "lineItems",
  "results",
  "resources",
  "classResources",
  "courseResources",
];

/** Demographics rows are keyed by the user they describe. */
export const KEY_REFS: Partial<Record<EntityName, EntityName>> = { demographics: "users" };

/** Entities some row may refer to (by a field, or by its key): only these need their sourcedIds kept while importing. */
export const REFERENCED: ReadonlySet<string> = new Set<string>([
  ...Object.values(ENTITIES).flatMap((e) => e.fields.flatMap((f) => (f.ref ? [f.ref] : []))),
  ...Object.values(KEY_REFS),
]);

const targetCache = new Map<string, EntityName[]>();

/**
 * The entities a row of `entity` may refer to: by its fields, and by its key.
 *
 * @example refTargets("enrollments"); // ["classes", "orgs", "users"] (in field order)
 */
export function refTargets(entity: string): EntityName[] {
  let targets = targetCache.get(entity);
  if (!targets) {
    const fields = isEntityName(entity) ? ENTITIES[entity].fields : [];
    const keyRef = isEntityName(entity) ? KEY_REFS[entity] : undefined;
    targets = [...new Set([...fields.flatMap((f) => (f.ref ? [f.ref] : [])), ...(keyRef ? [keyRef] : [])])];
    targetCache.set(entity, targets);
  }
  return targets;
}
