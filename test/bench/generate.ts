/**
 * Synthetic OneRoster 1.1 bulk bundles for the import benchmark.
 *
 * A district of N students: ~N/500 schools, ~N/100 courses, ~N/25 classes,
 * ~N/20 teachers, 6 enrollments per student plus one teacher per class, and a
 * demographics row per student. Every value is a pure function of
 * (seed, file, row index), so `changedPercent` can alter ~that share of rows in
 * every file while the rest, and all sourcedIds, stay byte-identical — which is
 * what the "1 % changed" import scenario needs. sourcedIds are UUID-shaped and
 * hash-ordered like real SIS exports, so the store sees random-order keys, not
 * the friendlier append-only case.
 *
 * CLI: `node --import tsx test/bench/generate.ts DIR STUDENTS [CHANGED_PERCENT]`
 *
 * @module
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** What {@link generateDistrict} wrote. */
export interface DistrictInfo {
  /** File name → data rows (header excluded), manifest.csv included. */
  files: Record<string, number>;
  /** Total bytes of all files. */
  bytes: number;
  /** File name → rows that differ from the seed's base bundle (all 0 without changedPercent). */
  changed: Record<string, number>;
}

// Hash streams: one per file, so changing how one file is generated never shifts another.
const ORG = 1, SES = 2, CRS = 3, CLS = 4, USR = 5, ENR = 6, DEM = 7, CHANGE = 100;

/** murmur3's finaliser: a bijection on 32-bit integers with good avalanche. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Byte → two hex digits: UUID formatting dominates generation time, toString(16) + padStart is ~2× slower.
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const hex8 = (n: number): string => HEX[n >>> 24] + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255];
const hex4 = (n: number): string => HEX[(n >>> 8) & 255] + HEX[n & 255];
const csv = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const slugs = new Map<string, string>();
/** ASCII letters of a name for usernames and emails; cached because names repeat millions of times. */
function slug(v: string): string {
  let s = slugs.get(v);
  if (s === undefined) slugs.set(v, (s = v.normalize("NFD").toLowerCase().replace(/[^a-z]/g, "")));
  return s;
}

const GIVEN = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Elijah", "Isabella", "Lucas", "Mia", "Levi",
  "Amelia", "Ezra", "Harper", "Asher", "Zoë", "José", "Aaliyah", "Kai", "Nguyệt", "Chloé", "Declan", "Priya", "Wei",
  "Fatima", "Omar", "Saoirse", "Björn", "Anika", "Jamal", "Ingrid", "Hiroshi", "Lucía", "Dmitri", "Ngozi"];
const FAMILY = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
  "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "O'Brien", "D'Angelo", "Nguyen",
  "Kim", "Patel", "Müller", "Østergaard", "Van der Berg", "Okafor", "Kowalski", "Rossi", "Ivanova", "Haddad", "Yamamoto"];
// Rare names that force quoting (comma / embedded quotes), as real SIS exports have.
const ODD_GIVEN = ['Robert "Bobby"', 'Anne-Marie "Annie"', "Mary, Jo"];
const ODD_FAMILY = ["Smith, Jr.", "King, III", 'Lee "Li"'];
const SUBJECTS = [["Mathematics", "MATH", "Algebra I"], ["English", "ENG", "English Language Arts"], ["Science", "SCI", "Biology"],
  ["Social Studies", "SOC", "World History"], ["Art", "ART", "Studio Art"], ["Physical Education", "PE", "Physical Education"],
  ["World Languages", "LANG", "Spanish I"], ["Music", "MUS", "Band"]] as const;
const LEVELS = [
  { name: "Elementary School", grades: ["KG", "01", "02", "03", "04", "05"] },
  { name: "Middle School", grades: ["06", "07", "08"] },
  { name: "High School", grades: ["09", "10", "11", "12"] },
] as const;
const TOWNS = ["Riverside", "Oak Hill", "Lakeview", "Cedar Park", "Maple Grove", "Fairview", "Pine Ridge", "Westfield", "Brookside", "Summit"];

const HEADERS: Record<string, string> = {
  "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
  "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear",
  "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes",
  "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
  "users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password",
  "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate",
  "demographics.csv": "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus",
};
const ABSENT = ["categories", "classResources", "courseResources", "lineItems", "resources", "results"];
const YEAR_START = "2026-08-17", YEAR_END = "2027-06-11";

/** Buffers rows into ~64 KiB chunks and honours the stream's back-pressure. */
class Out {
  private buf = "";
  rows = 0;
  changed = 0;
  readonly ws: WriteStream;
  constructor(path: string, header: string) {
    this.ws = createWriteStream(path);
    this.buf = header + "\r\n";
  }
  /** Adds one row; true when the caller should `await flush()` (an await per row would cost a tick each). */
  add(line: string): boolean {
    this.buf += line + "\r\n";
    this.rows++;
    return this.buf.length >= 65536;
  }
  async flush(): Promise<void> {
    const ok = this.ws.write(this.buf);
    this.buf = "";
    if (!ok) await once(this.ws, "drain");
  }
  async close(): Promise<number> {
    this.ws.end(this.buf);
    this.buf = "";
    await finished(this.ws);
    return this.ws.bytesWritten;
  }
}

/**
 * Writes a OneRoster 1.1 bulk bundle for `students` students into `dir`
 * (created if needed), streaming every file. Deterministic from `seed`;
 * `changedPercent` alters that share of rows (at least one) in every data file.
 */
export async function generateDistrict(
  dir: string,
  students: number,
  options: { seed?: number; changedPercent?: number } = {},
): Promise<DistrictInfo> {
  const N = Math.max(1, Math.floor(students));
  const seedMix = fmix((options.seed ?? 1) ^ 0x5bd1e995);
  const changeLimit = Math.floor(((options.changedPercent ?? 0) / 100) * 2 ** 32);
  const h = (stream: number, i: number, k = 0): number =>
    fmix((fmix(seedMix + Math.imul(stream, 0x9e3779b1)) ^ i) + Math.imul(k + 1, 0x27d4eb2f));
  // The first word is a bijection of i, so ids never collide within an entity.
  const uuid = (stream: number, i: number): string => {
    const a = fmix((i ^ fmix(seedMix ^ Math.imul(stream, 0x68e31da4))) >>> 0), b = h(stream, i, 1), c = h(stream, i, 2);
    return `${hex8(a)}-${hex4(b >>> 16)}-${hex4(0x4000 | (b & 0xfff))}-${hex4(0x8000 | (c & 0x3fff))}-${hex4(c >>> 16)}${hex8(h(stream, i, 3))}`;
  };
  const isChanged = (stream: number, i: number, last: number): boolean =>
    changeLimit > 0 && (i === last || h(stream + CHANGE, i) < changeLimit);

  const S = Math.max(1, Math.round(N / 500));
  const COURSES = Math.max(S, Math.round(N / 100)), CLASSES = Math.max(S, Math.round(N / 25));
  const TEACHERS = Math.max(S, Math.round(N / 20));
  // Entities are spread evenly over schools: school s owns [start(M, s), start(M, s + 1)).
  const start = (M: number, s: number): number => Math.ceil((s * M) / S);
  const schoolOf = (M: number, i: number): number => Math.floor((i * S) / M);
  const level = (s: number) => LEVELS[s % LEVELS.length];

  const districtId = uuid(ORG, 0);
  const schoolIds = Array.from({ length: S }, (_, s) => uuid(ORG, s + 1));
  const [yearId, sem1Id, sem2Id] = [0, 1, 2].map((i) => uuid(SES, i));
  const courseIds = Array.from({ length: COURSES }, (_, c) => uuid(CRS, c));
  const classIds = Array.from({ length: CLASSES }, (_, k) => uuid(CLS, k));
  // Users share one index space (students, then teachers) so their ids are unique together.
  const userId = (u: number): string => uuid(USR, u);
  const teacherIds = Array.from({ length: TEACHERS }, (_, t) => userId(N + t));

  await mkdir(dir, { recursive: true });
  const info: DistrictInfo = { files: {}, bytes: 0, changed: {} };
  const open = (name: string) => new Out(join(dir, name), HEADERS[name]);
  const done = async (name: string, out: Out) => {
    info.bytes += await out.close();
    info.files[name] = out.rows;
    info.changed[name] = out.changed;
  };
  const mark = (out: Out, changed: boolean): boolean => {
    if (changed) out.changed++;
    return changed;
  };

  let out = open("orgs.csv");
  const town = (s: number) => TOWNS[h(ORG, s, 1) % TOWNS.length];
  const district = mark(out, isChanged(ORG, 0, S)) ? "Bench Unified School District No. 1" : "Bench Unified School District";
  if (out.add(`${districtId},,,${district},district,0600001,`)) await out.flush();
  for (let s = 0; s < S; s++) {
    const name = `${town(s)} ${mark(out, isChanged(ORG, s + 1, S)) ? "Academy" : level(s).name} ${s + 1}`;
    if (out.add(`${schoolIds[s]},,,${name},school,${600100 + s},${districtId}`)) await out.flush();
  }
  await done("orgs.csv", out);

  out = open("academicSessions.csv");
  const semEnd = mark(out, isChanged(SES, 2, 2)) ? "2027-06-04" : YEAR_END;
  const yearEnd = mark(out, isChanged(SES, 0, 2)) ? "2027-06-18" : YEAR_END;
  const fall = mark(out, isChanged(SES, 1, 2)) ? "Fall 2026 Semester" : "Fall 2026";
  // Three rows never fill a chunk: close() writes them.
  out.add(`${yearId},,,2026-2027,schoolYear,${YEAR_START},${yearEnd},,2027`);
  out.add(`${sem1Id},,,${fall},semester,${YEAR_START},2027-01-15,${yearId},2027`);
  out.add(`${sem2Id},,,Spring 2027,semester,2027-01-19,${semEnd},${yearId},2027`);
  await done("academicSessions.csv", out);

  // A course's subject and grades, shared by its classes.
  const courseInfo = (c: number) => {
    const s = schoolOf(COURSES, c), g = level(s).grades, l = c - start(COURSES, s);
    const first = h(CRS, c, 1) % g.length;
    return { s, subject: SUBJECTS[l % SUBJECTS.length], grades: g.slice(first, first + 1 + (h(CRS, c, 2) % 2)).join(",") };
  };
  out = open("courses.csv");
  for (let c = 0; c < COURSES; c++) {
    const { s, subject, grades } = courseInfo(c);
    const title = mark(out, isChanged(CRS, c, COURSES - 1)) ? `${subject[2]} (Honors)` : subject[2];
    const line = `${courseIds[c]},,,${yearId},${title},${subject[1]}-${s + 1}-${c},${csv(grades)},${schoolIds[s]},${subject[0]},`;
    if (out.add(line)) await out.flush();
  }
  await done("courses.csv", out);

  out = open("classes.csv");
  const teacherOfClass = new Int32Array(CLASSES);
  for (let k = 0; k < CLASSES; k++) {
    const s = schoolOf(CLASSES, k), l = k - start(CLASSES, s);
    const cs = start(COURSES, s), c = cs + (l % (start(COURSES, s + 1) - cs));
    const ts = start(TEACHERS, s);
    teacherOfClass[k] = ts + (l % (start(TEACHERS, s + 1) - ts));
    const { subject, grades } = courseInfo(c);
    const period = 1 + (l % 7);
    const terms = l % 5 === 0 ? `"${sem1Id},${sem2Id}"` : l % 2 ? sem1Id : sem2Id;
    const room = mark(out, isChanged(CLS, k, CLASSES - 1)) ? `Portable ${l + 1}` : `Room ${100 + l}`;
    const periods = l % 10 === 3 ? `"${period},${period + 1}"` : `${period}`;
    const [title, type] = l === 0 ? [`Homeroom ${s + 1}`, "homeroom"] : [`${subject[2]} - P${period}`, "scheduled"];
    const line = `${classIds[k]},,,${title},${csv(grades)},${courseIds[c]},${subject[1]}-${s + 1}-${l},${type},${room},` +
      `${schoolIds[s]},${terms},${subject[0]},,${periods}`;
    if (out.add(line)) await out.flush();
  }
  await done("classes.csv", out);

  // One user's names: rare odd names force quoted fields; a changed row gets another family name.
  const names = (u: number, changed: boolean) => {
    const r = h(USR, u, 4);
    const given = r % 401 === 7 ? ODD_GIVEN[r % ODD_GIVEN.length] : GIVEN[h(USR, u, 5) % GIVEN.length];
    let f = h(USR, u, 6) % FAMILY.length;
    if (changed) f = (f + 1 + (h(USR, u, 7) % (FAMILY.length - 1))) % FAMILY.length;
    const family = !changed && r % 409 === 11 ? ODD_FAMILY[r % ODD_FAMILY.length] : FAMILY[f];
    return { given, family, middle: r % 3 === 0 ? GIVEN[r % GIVEN.length] : "" };
  };
  const studentGrade = (i: number): string => {
    const g = level(schoolOf(N, i)).grades;
    return g[h(USR, i, 8) % g.length];
  };
  out = open("users.csv");
  for (let u = 0; u < N + TEACHERS; u++) {
    const student = u < N, base = names(u, false);
    const n = mark(out, isChanged(USR, u, N + TEACHERS - 1)) ? names(u, true) : base;
    // The username stays; the email follows a changed family name, as after a real name change.
    const username = `${slug(base.given).slice(0, 1)}${slug(base.family).slice(0, 12)}${u}`;
    const user = n === base ? username : `${slug(n.given).slice(0, 1)}${slug(n.family).slice(0, 12)}${u}`;
    let orgs: string, ids: string, grade = "", identifier = "";
    if (student) {
      orgs = schoolIds[schoolOf(N, u)];
      identifier = `${1000000 + u}`;
      ids = `"{LDAP:${username}},{SIS:${identifier}}"`;
      grade = studentGrade(u);
    } else {
      const s = schoolOf(TEACHERS, u - N);
      // Some teachers serve two schools: a quoted id list.
      orgs = S > 1 && (u - N) % 10 === 9 ? `"${schoolIds[s]},${schoolIds[(s + 1) % S]}"` : schoolIds[s];
      identifier = `T${100000 + u - N}`;
      ids = `{LDAP:${username}}`;
    }
    const email = `${user}@${student ? "students." : ""}bench-usd.org`;
    const line = `${userId(u)},,,true,${orgs},${student ? "student" : "teacher"},${username},${ids},${csv(n.given)},` +
      `${csv(n.family)},${csv(n.middle)},${identifier},${email},,,,${grade},`;
    if (out.add(line)) await out.flush();
  }
  await done("users.csv", out);

  out = open("enrollments.csv");
  const ENROLLMENTS = (() => {
    let total = CLASSES;
    for (let s = 0; s < S; s++) total += (start(N, s + 1) - start(N, s)) * Math.min(6, start(CLASSES, s + 1) - start(CLASSES, s));
    return total;
  })();
  let e = 0;
  const endDate = () => (mark(out, isChanged(ENR, e, ENROLLMENTS - 1)) ? "2027-03-12" : YEAR_END);
  for (let i = 0; i < N; i++) {
    const s = schoolOf(N, i), cs = start(CLASSES, s), cn = start(CLASSES, s + 1) - cs;
    const sid = userId(i), school = schoolIds[s], first = h(ENR, i) % cn;
    for (let j = 0; j < Math.min(6, cn); j++, e++) {
      const line = `${uuid(ENR, e)},,,${classIds[cs + ((first + j) % cn)]},${school},${sid},student,false,`;
      if (out.add(`${line}${YEAR_START},${endDate()}`)) await out.flush();
    }
  }
  for (let k = 0; k < CLASSES; k++, e++) {
    const line = `${uuid(ENR, e)},,,${classIds[k]},${schoolIds[schoolOf(CLASSES, k)]},${teacherIds[teacherOfClass[k]]},teacher,true,`;
    if (out.add(`${line}${YEAR_START},${endDate()}`)) await out.flush();
  }
  await done("enrollments.csv", out);

  out = open("demographics.csv");
  for (let i = 0; i < N; i++) {
    const g = studentGrade(i), age = 5 + (g === "KG" ? 0 : Number(g)), r = h(DEM, i);
    const birth = `${2026 - age}-${String(1 + (r % 12)).padStart(2, "0")}-${String(1 + ((r >>> 4) % 28)).padStart(2, "0")}`;
    const race = (bit: number) => ((r >>> bit) & 7) === 0;
    const hispanic = (((r >>> 27) & 3) === 0) !== mark(out, isChanged(DEM, i, N - 1));
    const flags = [race(8), race(11), race(14), race(17), race(20)];
    const two = flags.filter(Boolean).length > 1;
    const sex = r & 0x40000000 ? "female" : "male";
    if (out.add(`${userId(i)},,,${birth},${sex},${flags.join(",")},${two},${hispanic},US,CA,${town(r % S)},`)) await out.flush();
  }
  await done("demographics.csv", out);

  out = new Out(join(dir, "manifest.csv"), "propertyName,value");
  const lines = ["manifest.version,1.0", "oneroster.version,1.1", "source.systemName,rosterbox-bench", "source.systemCode,bench"];
  const all = ["academicSessions", ...ABSENT, "classes", "courses", "demographics", "enrollments", "orgs", "users"].sort();
  for (const f of all) lines.push(`file.${f},${ABSENT.includes(f) ? "absent" : "bulk"}`);
  for (const line of lines) if (out.add(line)) await out.flush();
  await done("manifest.csv", out);
  return info;
}

async function cli(argv: string[]): Promise<number> {
  const [dir, students, percent] = argv;
  if (!dir || !students || !/^\d+$/.test(students) || (percent !== undefined && !Number.isFinite(Number(percent)))) {
    console.error("usage: node --import tsx test/bench/generate.ts DIR STUDENTS [CHANGED_PERCENT]");
    return 2;
  }
  const t0 = performance.now();
  const info = await generateDistrict(dir, Number(students), { changedPercent: percent === undefined ? 0 : Number(percent) });
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ dir, ...info, seconds: Number(seconds.toFixed(2)) }, null, 2));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await cli(process.argv.slice(2));
