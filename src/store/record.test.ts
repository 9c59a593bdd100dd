import { describe, expect, it } from "vitest";
import { decodeRecord, encodeRecord, locateBody, recordHeader, recordHeaderTail, writeRecordHeader } from "./record.ts";

describe("record layout", () => {
  it("writes the same header as bytes as recordHeader makes as text", () => {
    const buf = Buffer.alloc(80);
    for (const seq of [0, 9, 10, 4_711, 900_719_925_474_099]) {
      const n = writeRecordHeader(buf, seq, Buffer.from(recordHeaderTail("20261201T000000000Z-ab12cd", 1764547200000, "tobedeleted")));
      expect(buf.toString("utf8", 0, n)).toBe(recordHeader(seq, "20261201T000000000Z-ab12cd", 1764547200000, "tobedeleted"));
    }
    expect(() => writeRecordHeader(buf, -1, Buffer.from(""))).toThrow(RangeError);
    expect(() => writeRecordHeader(Buffer.alloc(8), 123, Buffer.from("\x1ejob\x1e1\x1e"))).toThrow("does not fit");
  });

  it("writes a header at an offset, leaving the bytes before it, and refuses one that runs past the end", () => {
    const buf = Buffer.alloc(40, 0x2e);
    const tail = Buffer.from(recordHeaderTail("j1", 5, "active"));
    const n = writeRecordHeader(buf, 4_711, tail, 7);
    expect(buf.toString("utf8", 0, 7 + n)).toBe("......." + recordHeader(4_711, "j1", 5, "active"));
    expect(buf[7 + n]).toBe(0x2e);
    expect(() => writeRecordHeader(buf, 4_711, tail, 40 - n + 1)).toThrow("does not fit");
    expect(writeRecordHeader(buf, 4_711, tail, 40 - n)).toBe(n);
  });

  it("locates the body and the status without decoding", () => {
    const record = { seq: 12, job: "j1", modifiedAt: 5, status: "active" as const, body: "sourcedId\x1fu1\x1fgivenName\x1fZoë" };
    const bytes = encodeRecord(record);
    const { bodyStart, active } = locateBody(bytes, bytes.length);
    expect(active).toBe(true);
    expect(bytes.toString("utf8", bodyStart)).toBe(record.body);
    expect(decodeRecord(bytes)).toEqual(record);
    const gone = encodeRecord({ ...record, status: "tobedeleted" });
    expect(locateBody(gone, gone.length).active).toBe(false);
    expect(locateBody(Buffer.from("not a record"), 12).bodyStart).toBe(-1);
  });
});
