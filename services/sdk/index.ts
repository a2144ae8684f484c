// The service SDK in one import: each concept as a namespace, so a service reads
// `ipv6.dst(p)`, `udp.begin(...)`, `ingress.accept(n)`. The generated syscalls themselves
// come from abi/gen/persia.ts, and the ABI's numbers from abi/*.ts, never through here;
// `checksum` is wire/checksum.ts, the one the kernel uses.
// Used by services/* and tests/services/*. batch.ts is imported on its own (echo does):
// its 32 KiB of buffers would otherwise be in every service's first page.
import * as addrs from "./addrs";
import * as bytes from "./bytes";
import * as checksum from "../../wire/checksum";
import * as icmpv6 from "./icmpv6";
import * as ingress from "./ingress";
import * as ipv6 from "./ipv6";
import * as log from "./log";
import * as sys from "./sys";
import * as text from "./text";
import * as udp from "./udp";
import * as usb from "./usb";

export { addrs, bytes, checksum, icmpv6, ingress, ipv6, log, sys, text, udp, usb };
