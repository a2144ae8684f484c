// The manifest loader's public face: YAML manifest → validated Manifest → boot bytes for the
// kernel plus a HostPlan for the host, and the boot bytes read back. Callers (the `persia`
// CLI, hosts/node, tests) import from here rather than from the files behind it.
// Deliberately only re-exports; each concept lives in its own file:
//   load.ts (read + validate), schema.ts (shape), check.ts (cross-field rules),
//   issues.ts (errors with lines), compile.ts (Manifest → boot + plan), boot.ts (bytes),
//   limits.ts (every bound), values.ts (leaf parsers), ra.ts (router advertisement settings),
//   net.ts (network rates and their admission), autoconf.ts (the client role's keys),
//   usb.ts and boot_usb.ts (USB devices, their grants and records).
export { loadManifest, parseManifest, defaultMac } from "./load";
export { ManifestError, ManifestIssue } from "./issues";
export { Manifest } from "./schema";
export { compileManifest, bootRecords, hostPlan, pages, HostPlan, HostEndpoint } from "./compile";
export {
  decodeBootManifest, encodeBootManifest, BootAutoconf, BootManifest, BootNet, BootRa, BootSvcLearned, FullBootManifest,
} from "./boot";
export { NetClass } from "./net";
export { RaSettings, minIntervalDefault } from "./ra";
export { bitRate, showRate } from "./values";
export * as limits from "./limits";
