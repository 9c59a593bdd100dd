/**
 * Test helpers: small OneRoster bundles written to temp folders, and a look
 * into a store's records.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "../src/store/mod.ts";
import { recordRange } from "../src/store/keys.ts";
import { decodeBody, decodeRecord } from "../src/store/record.ts";

export function tempDir(prefix = "rosterbox-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const ORGS = `sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId
d1,,,Strata District,district,D1,
s1,,,North High,school,S1,d1
s2,,,South High,school,S2,d1
`;
export const SESSIONS = `sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear
y2027,,,2026-2027,schoolYear,2026-08-15,2027-06-15,,2027
t1,,,Fall,semester,2026-08-15,2026-12-20,y2027,2027
`;
export const COURSES = `sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes
c1,,,y2027,Algebra I,ALG1,09,s1,math,
c2,,,y2027,Biology,BIO,"09,10",s2,science,
`;
export const CLASSES = `sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods
k1,,,Algebra I - P1,09,c1,ALG1-1,scheduled,R101,s1,t1,,,1
k2,,,Biology - P2,10,c2,BIO-2,scheduled,R202,s2,t1,,,2
`;
export const USERS = `sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password
u1,,,true,s1,student,ada,{LDAP:ada},Ada,Lovelace,,1001,ada@example.org,,,,09,
u2,,,TRUE,s1,student,alan,,Alan,Turing,,1002,alan@example.org,,,,09,
u3,,,true,s2,student,grace,,Grace,"Hopper, Jr",,1003,grace@example.org,,,,10,
t1u,,,true,s1,teacher,emmy,,Emmy,Noether,,2001,emmy@example.org,,,,,
`;
export const ENROLLMENTS = `sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate
e1,,,k1,s1,u1,student,false,2026-08-15,2026-12-20
e2,,,k1,s1,u2,student,false,2026-08-15,2026-12-20
e3,,,k2,s2,u3,student,false,2026-08-15,2026-12-20
e4,,,k1,s1,t1u,teacher,true,2026-08-15,2026-12-20
`;

export const DISTRICT: Record<string, string> = {
  "orgs.csv": ORGS,
  "academicSessions.csv": SESSIONS,
  "courses.csv": COURSES,
  "classes.csv": CLASSES,
  "users.csv": USERS,
  "enrollments.csv": ENROLLMENTS,
};

/**
 * Writes a bundle folder: the files given and a manifest declaring each
 * (bulk unless `modes` says otherwise). Pass `manifest: null` for none, or a
 * string for a manifest of your own.
 */
export function writeBundle(
  files: Record<string, string | Uint8Array>,
  options: { modes?: Record<string, string>; manifest?: string | null; dir?: string } = {},
): string {
  const dir = options.dir ?? tempDir("rosterbox-bundle-");
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  if (options.manifest !== null) {
    const lines = ["propertyName,value", "manifest.version,1.0", "oneroster.version,1.1"];
    for (const name of Object.keys(files)) lines.push(`file.${name.replace(/\.csv$/, "")},${options.modes?.[name] ?? "bulk"}`);
    for (const [name, mode] of Object.entries(options.modes ?? {})) if (!(name in files)) lines.push(`file.${name.replace(/\.csv$/, "")},${mode}`);
    writeFileSync(join(dir, "manifest.csv"), options.manifest ?? lines.join("\n") + "\n");
  }
  return dir;
}

/** Every record of an entity: sourcedId → fields with status. */
export function recordsOf(store: Store, tenant: string, entity: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const { value } of store.records.getRange(recordRange(tenant, entity))) {
    const r = decodeRecord(value);
    const fields = decodeBody(r.body);
    out.set(fields.sourcedId!, { ...fields, status: r.status });
  }
  return out;
}

export { openStore };
