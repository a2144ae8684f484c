// The closing summary of `npm run bench`: issue #17's goals, each with this run's figure
// beside its target, so one run says which are met without reading every section. Each
// section that measures a goal reports it here (goal()), with the figure it printed; a
// section not run (PERSIA_BENCH) or one that could not measure reports nothing, and the
// summary says which goals it has no figure for. "Flat" is read as at least FLAT of the
// smaller size's figure, measured in the same run (spec/performance.md).
export const FLAT = 0.9;

interface Goal { id: string; figure: string; met: boolean }
const reported = new Map<string, Goal>();

/** Issue #17's goals, in its order: id → what the goal asks. */
export const GOALS: [string, string][] = [
  ["forward-node", "in-process forwarding under Node ≥ 5 M packets/s"],
  ["forward-image", "in-process forwarding in the wasmtime image ≥ 10 M packets/s"],
  ["echo-image", "echo through a service in the wasmtime image ≥ 4 M packets/s"],
  ["no-alloc", "the hot path allocates nothing (kernel memory and heap after 1 M packets)"],
  ["scale-node", `1,000 services on the Node host: forwarding and echo flat against 10 (≥ ${FLAT})`],
  ["svc-memory", "kernel memory per idle service ≤ 64 KiB"],
  ["meter-cache", "1,000 services of one module meter it once"],
  ["scale-metal", `1,000 services on metal: echo flat against 10 (≥ ${FLAT})`],
  ["routes", `longest-prefix match flat from 10 to 100,000 routes (≥ ${FLAT})`],
  ["neighbors", `neighbour lookup flat from 10 to 10,000 neighbours (≥ ${FLAT})`],
  ["ed25519", "ed25519 verify within 3× of OpenSSL's time"],
  ["tap-udp", "TAP router, UDP, ≥ 1.0× Linux, with udp_gro: true (UDP merged towards the destination's socket)"],
  ["tap-udp-default", "TAP router, UDP, ≥ 1.0× Linux, the node's default (udp_gro: false, UDP not merged)"],
  ["tap-tcp", "TAP router, TCP, ≥ 1.0× Linux"],
];

/** A section's figure for goal `id` (one of GOALS); a second report replaces the first. */
export function goal(id: string, figure: string, met: boolean): void {
  if (!GOALS.some(([g]) => g === id)) throw new Error(`bench goal ${id}: not one of issue #17's (tests/bench/goals.ts GOALS)`);
  reported.set(id, { id, figure, met });
}

/** The summary: each goal met or not with its figure, then the goals this run has no figure for. */
export function goalsSummary(log: (l: string) => void): void {
  const got = GOALS.filter(([id]) => reported.has(id));
  const met = got.filter(([id]) => reported.get(id)!.met).length;
  log(`Issue #17's goals in this run: ${met} of ${got.length} measured are met`);
  for (const [id, what] of got) {
    const g = reported.get(id)!;
    log(`  ${g.met ? "met    " : "NOT MET"}  ${what}: ${g.figure}`);
  }
  const none = GOALS.filter(([id]) => !reported.has(id));
  if (none.length > 0) log(`  no figure in this run (section not selected, or not measured: see above) for: ${none.map(([id]) => id).join(", ")}`);
}
