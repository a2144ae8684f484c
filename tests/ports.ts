// UDP ports on ::1 for tests that give a node (or wasmtime) a VXLAN NIC on the loopback:
// each port was free a moment ago, when it was bound and let go. All of them are held at
// once before any is let go, so that they differ. Used by tests in every folder.
import * as dgram from "dgram";
import { once } from "events";

export async function freePorts(n: number): Promise<number[]> {
  const socks = await Promise.all(Array.from({ length: n }, async () => {
    const s = dgram.createSocket("udp6");
    s.bind(0, "::1");
    await once(s, "listening");
    return s;
  }));
  const ports = socks.map((s) => s.address().port);
  for (const s of socks) s.close();
  return ports;
}
