/**
 * Intake: how files arrive. So far the rule for shares (`submission:
 * quiet`); the SFTP server, the share watcher and web upload arrive with the
 * appliance and call the same accept path.
 *
 * @module
 */
export { QuietTracker } from "./quiet.ts";
