/**
 * The embedded default config `npm start` runs on: data in
 * `./rosterbox-data`, one demo tenant with a OneRoster drop folder. It holds
 * no secrets: the users' passwords are generated on the first start
 * (first-start.ts).
 *
 * @module
 */
export const DEFAULT_CONFIG = `# rosterbox embedded default (npm start)
data_dir: ./rosterbox-data
http: { listen: "127.0.0.1:8080" }
sftp: { listen: "0.0.0.0:2222" }
retention: { archive_days: 60, schedule: "0 3 * * *" }
tenants:
  - id: demo
    name: Demo District
    feeds:
      - { folder: OneRoster, format: oneroster-csv, submission: manifest }
`;
