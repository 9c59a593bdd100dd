import { describe, expect, it } from "vitest";
import { hashPassword, isPasswordHash, verifyPassword } from "./secrets.ts";

describe("password hashes", () => {
  it("hash with a fresh salt, verify the right password only", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(isPasswordHash(a)).toBe(true);
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse batter", a)).toBe(false);
  });

  it("refuses what is not a hash it can check", async () => {
    expect(isPasswordHash("hunter2")).toBe(false);
    expect(isPasswordHash("$scrypt$ln=40,r=8,p=1$AAAA$BBBB")).toBe(false);
    expect(await verifyPassword("hunter2", "hunter2")).toBe(false);
  });
});
