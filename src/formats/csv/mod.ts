/**
 * Strict streaming CSV reading: bytes → text ({@link decodeText}) → records ({@link readCsv}).
 *
 * @example
 * ```ts
 * import { createReadStream } from "node:fs";
 * import { decodeText, readCsv } from "./formats/csv/mod.ts";
 *
 * const text = decodeText(createReadStream("enrollments.csv"), "enrollments.csv");
 * for await (const batch of readCsv(text, { file: "enrollments.csv" })) console.log(batch.length);
 * ```
 *
 * @module
 */
export { decodeText } from "./decode.ts";
export { DEFAULT_MAX_FIELD_LENGTH, readCsv } from "./tokenizer.ts";
export type { CsvOptions, CsvRecord, CsvRowError, PassOverCut } from "./tokenizer.ts";
