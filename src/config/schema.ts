/**
 * The shape of `rosterbox.yaml` (CONTRACT.md), as a JSON Schema checked by
 * ajv, and the TypeScript types it guarantees. Rules a schema cannot say
 * (cron syntax, mappings, unique names, paths) are in `_rules.ts`.
 *
 * @module
 */
import type { FieldMapping } from "../mapping/mod.ts";

export interface SftpUser {
  username: string;
  password_hash?: string;
  authorized_keys?: string[];
  allow_from?: string[];
}

export interface Feed {
  folder: string;
  format: "oneroster-csv" | "ims-xml" | "delimited";
  submission?: "manifest" | "upload" | "quiet";
  quiet_seconds?: number;
  change_threshold?: string | number;
  update_threshold?: string | number;
  watch?: string;
  entity?: string;
  delimiter?: string;
  quote?: string;
  mode?: "bulk" | "delta";
  fields?: FieldMapping[];
}

/** How an export's files are named and written (all optional). */
export interface ExportFile {
  /** Name pattern with tokens {YYYY} {MM} {DD} {HH} {mm} {ss} {schoolYear} {tenant} {export}. */
  name?: string;
  extension?: string;
  delimiter?: string;
  /** Quote character; "" for none. */
  quote?: string;
  quote_all?: boolean;
  header?: boolean;
  line_ending?: "crlf" | "lf";
  encoding?: "utf-8" | "utf-8-bom";
}

/** A remote SFTP server an export's files are also sent to. */
export interface ExportPush {
  host: string;
  port?: number;
  username: string;
  /** Path of the private key file (OpenSSH format) used to log in. */
  private_key: string;
  /** The server's host key, as `ssh-keygen -lf` prints it: `SHA256:…`. */
  host_fingerprint: string;
  /** Remote folder (default: the login folder). */
  folder?: string;
}

export interface ExportProfile {
  name: string;
  /** mapped (default): one entity through `fields`; oneroster-csv: the whole store as a OneRoster 1.1 bundle folder. */
  format?: "mapped" | "oneroster-csv";
  /** The entity exported (mapped exports). */
  entity?: string;
  where?: Record<string, string>;
  schedule?: string;
  folder?: string;
  file?: ExportFile;
  delta?: boolean;
  overwrite?: boolean;
  retention_days?: number;
  fields?: FieldMapping[];
  push?: ExportPush;
}

export interface Tenant {
  id: string;
  name?: string;
  sftp_users?: SftpUser[];
  /**
   * The tenant's SFTP users may remove files from `exports/` and `results/` once they have
   * picked them up (the SIS's "download, then delete"); otherwise both are read-only. Default false.
   */
  sftp_delete_after_pickup?: boolean;
  feeds?: Feed[];
  exports?: ExportProfile[];
}

export interface Config {
  data_dir: string;
  /** `max_upload_bytes`: the largest web upload (default 2 GiB). */
  http?: { listen?: string; max_upload_bytes?: number };
  sftp?: {
    listen?: string;
    /** Failed logins from one address before it is banned (default 10). */
    max_auth_failures?: number;
    /** First ban length; each later ban of the same address doubles it (default 300). */
    ban_seconds?: number;
    max_sessions_per_user?: number;
    idle_timeout_seconds?: number;
    max_file_bytes?: number;
    /** WRITEs one connection may have waiting for the disk; more wait unread (default 128). */
    max_requests_in_flight?: number;
  };
  time_zone?: string;
  /** How many tenants import at once (each one job at a time); default 2. */
  jobs?: { parallel?: number; manifest_wait_seconds?: number };
  retention?: { archive_days?: number; schedule?: string };
  web_users?: { username: string; password_hash: string; role: "admin" | "viewer" }[];
  /** `token_hash`: the token's SHA-256 in hex (`rosterbox token create --print-hash`); role defaults to viewer. */
  api_tokens?: { name: string; token_hash: string; role?: "admin" | "viewer" }[];
  tenants: Tenant[];
}

const name = { type: "string", minLength: 1, maxLength: 128 };
const mapping = {
  type: "array",
  items: {
    type: "object",
    additionalProperties: false,
    properties: {
      from: { type: "string" }, to: { type: "string" }, codes: { type: "object", additionalProperties: { type: "string" } },
      default: { type: "string" }, transform: { type: "string" }, omit: { type: "boolean" }, blank: { enum: ["keep", "clear"] },
    },
  },
};
const threshold = { anyOf: [{ type: "string", pattern: "^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$" }, { type: "integer", minimum: 0 }] };

export const CONFIG_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["data_dir", "tenants"],
  properties: {
    data_dir: name,
    http: { type: "object", additionalProperties: false, properties: { listen: { type: "string" }, max_upload_bytes: { type: "integer", minimum: 1 } } },
    sftp: {
      type: "object", additionalProperties: false,
      properties: {
        listen: { type: "string" },
        max_auth_failures: { type: "integer", minimum: 1 }, ban_seconds: { type: "integer", minimum: 1 },
        max_sessions_per_user: { type: "integer", minimum: 1 }, idle_timeout_seconds: { type: "integer", minimum: 1 },
        max_file_bytes: { type: "integer", minimum: 1 }, max_requests_in_flight: { type: "integer", minimum: 1, maximum: 65536 },
      },
    },
    time_zone: { type: "string" },
    jobs: {
      type: "object", additionalProperties: false,
      properties: { parallel: { type: "integer", minimum: 1, maximum: 64 }, manifest_wait_seconds: { type: "integer", minimum: 0, maximum: 86400 } },
    },
    retention: {
      type: "object", additionalProperties: false,
      properties: { archive_days: { type: "integer", minimum: 1, maximum: 3650 }, schedule: { type: "string" } },
    },
    web_users: {
      type: "array",
      items: {
        type: "object", additionalProperties: false, required: ["username", "password_hash", "role"],
        properties: { username: name, password_hash: { type: "string" }, role: { enum: ["admin", "viewer"] } },
      },
    },
    api_tokens: {
      type: "array",
      items: { type: "object", additionalProperties: false, required: ["name", "token_hash"], properties: { name, token_hash: { type: "string", pattern: "^(sha256:)?[0-9a-f]{64}$" }, role: { enum: ["admin", "viewer"] } } },
    },
    tenants: {
      type: "array",
      items: {
        type: "object", additionalProperties: false, required: ["id"],
        properties: {
          id: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$" },
          name: { type: "string" },
          sftp_delete_after_pickup: { type: "boolean" },
          sftp_users: {
            type: "array",
            items: {
              type: "object", additionalProperties: false, required: ["username"],
              properties: {
                username: { type: "string", pattern: "^[A-Za-z0-9._-]{1,64}$" },
                password_hash: { type: "string" },
                authorized_keys: { type: "array", items: { type: "string" } },
                allow_from: { type: "array", items: { type: "string" } },
              },
            },
          },
          feeds: {
            type: "array",
            items: {
              type: "object", additionalProperties: false, required: ["folder", "format"],
              properties: {
                folder: name,
                format: { enum: ["oneroster-csv", "ims-xml", "delimited"] },
                submission: { enum: ["manifest", "upload", "quiet"] },
                quiet_seconds: { type: "integer", minimum: 1, maximum: 86400 },
                change_threshold: threshold,
                update_threshold: threshold,
                watch: { type: "string", minLength: 1 },
                entity: name,
                delimiter: { type: "string", minLength: 1, maxLength: 1 },
                quote: { type: "string", maxLength: 1 },
                mode: { enum: ["bulk", "delta"] },
                fields: mapping,
              },
            },
          },
          exports: {
            type: "array",
            items: {
              type: "object", additionalProperties: false, required: ["name"],
              properties: {
                name: { type: "string", pattern: "^[A-Za-z0-9._-]{1,64}$" },
                format: { enum: ["mapped", "oneroster-csv"] },
                entity: name,
                where: { type: "object", additionalProperties: { type: "string" } },
                schedule: { type: "string" },
                folder: { type: "string" },
                file: {
                  type: "object", additionalProperties: false,
                  properties: {
                    name: { type: "string", minLength: 1 }, extension: { type: "string", pattern: "^[A-Za-z0-9]{1,10}$" },
                    delimiter: { type: "string", minLength: 1, maxLength: 1 }, quote: { type: "string", maxLength: 1 },
                    quote_all: { type: "boolean" }, header: { type: "boolean" }, line_ending: { enum: ["crlf", "lf"] }, encoding: { enum: ["utf-8", "utf-8-bom"] },
                  },
                },
                delta: { type: "boolean" },
                overwrite: { type: "boolean" },
                retention_days: { type: "integer", minimum: 1 },
                fields: mapping,
                push: {
                  type: "object", additionalProperties: false, required: ["host", "username", "private_key", "host_fingerprint"],
                  properties: {
                    host: { type: "string", minLength: 1 }, port: { type: "integer", minimum: 1, maximum: 65535 }, username: { type: "string", minLength: 1 },
                    private_key: { type: "string", minLength: 1 }, host_fingerprint: { type: "string", pattern: "^SHA256:[A-Za-z0-9+/]{43}$" }, folder: { type: "string" },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
