/**
 * The appliance's configuration: `rosterbox.yaml` loaded, checked and typed,
 * and the password hashes it holds.
 *
 * @module
 */
export { ConfigError, ENV_OVERRIDES, loadConfig, parseConfig, type ConfigProblem } from "./load.ts";
export type { Config, ExportFile, ExportProfile, ExportPush, Feed, SftpUser, Tenant } from "./schema.ts";
export { hashPassword, isPasswordHash, verifyPassword } from "./secrets.ts";
