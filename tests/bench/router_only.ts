// `node build/ts/tests/bench/router_only.js [runs]`: the router benchmark alone (tests/bench/router.ts),
// for working on the TAP path without the rest of `npm run bench`.
import { routerBench } from "./router";

routerBench((l) => console.log(l), { runs: Number(process.argv[2] ?? 3) })
  .catch((e) => { console.error(`benchmark failed: ${e instanceof Error ? e.stack : e}`); process.exit(1); });
