// The USB test guest's one script (guest.ts runs it; tests/usb/node.test.ts judges it): the
// libusb backend's checks (backend_guest.ts), then a whole node's (node_guest.ts), in one
// boot of the guest, against the same QEMU devices. Exits 0 when both ran to their end;
// what they found is in the USBT lines.
import { backendChecks } from "./backend_guest";
import { nodeChecks } from "./node_guest";
import { say, section } from "./in_guest";

async function main(): Promise<void> {
  section("backend");
  await backendChecks();
  section("node");
  await nodeChecks("stick1", "kbd1");   // what backendChecks left plugged in
}

main().then(() => process.exit(0), (e) => { say("error", String((e as Error).stack ?? e)); process.exit(1); });
