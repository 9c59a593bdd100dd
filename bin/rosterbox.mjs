#!/usr/bin/env node
// Development launcher: runs the TypeScript CLI through tsx's loader.
// The packaged binary (npm run build) runs the bundled JavaScript instead.
import { register } from "tsx/esm/api";
register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
