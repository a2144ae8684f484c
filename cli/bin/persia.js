#!/usr/bin/env node
// The `persia` command: runs the compiled CLI (cli/cli.ts → build/ts/cli/cli.js).
// `npm run build:ts` (or `npm run build`) compiles it first.
"use strict";
const path = require("path");
const cli = path.join(__dirname, "../../build/ts/cli/cli.js");
try {
  require.resolve(cli);
} catch {
  process.stderr.write("persia: the CLI is not compiled yet; run `npm run build` in the PersiaOS checkout first\n");
  process.exit(1);
}
require(cli).main(process.argv);
