// Entry of the single-file binary: the CLI, as bin/rosterbox.mjs runs it in development.
import { main } from "../../src/main.ts";

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
