// Linux hosts for a metal node under QEMU (root): a TAP device per NIC, made in the root
// namespace so that QEMU (run there) opens it by name, then moved into a namespace of its
// own, where it is the Linux host's interface on the node's link, as the Node host's
// router test does with the node's own TAPs (tests/e2e/router.test.ts). Also a UDP
// exchange from a namespace. Deliberately not here: QEMU (qemu.ts), what a test checks.
import { sh, shAsync } from "../e2e/linux";

export const PYTHON = "/usr/bin/python3";

export interface TapHost { ns: string; dev: string; }

/** A persistent TAP `dev` in the root namespace (deleted first if left over), for QEMU. */
export function makeTap(dev: string): void {
  sh(`ip link del ${dev}`, { allowFail: true });
  sh(`ip tuntap add dev ${dev} mode tap`);
}

/** Moves the TAP (QEMU holds it open) into a new namespace `ns` and brings it up there with
 *  `addrs` (e.g. "fd00:5ab2:1::100/64"; none: it learns from RAs), no DAD. */
export function adoptTap(dev: string, ns: string, addrs: string[] = [], opts: { acceptRa?: boolean } = {}): TapHost {
  sh(`ip netns del ${ns}`, { allowFail: true });
  sh(`ip netns add ${ns}`);
  sh(`ip link set ${dev} netns ${ns}`);
  const inNs = (cmd: string) => sh(`ip netns exec ${ns} ${cmd}`);
  inNs("ip link set lo up");
  inNs(`sysctl -qw net.ipv6.conf.${dev}.accept_dad=0 net.ipv6.conf.${dev}.accept_ra=${opts.acceptRa ? 2 : 0}`);
  for (const a of addrs) inNs(`ip -6 addr add ${a} dev ${dev} nodad`);
  inNs(`ip link set ${dev} up`);
  return { ns, dev };
}

export function dropHost(h: { ns: string; dev: string }): void {
  sh(`ip netns del ${h.ns}`, { allowFail: true });
  sh(`ip link del ${h.dev}`, { allowFail: true });
}

export const inNs = (ns: string, cmd: string) => shAsync(`ip netns exec ${ns} ${cmd}`);

/** Sends one UDP datagram from ns to [addr]:port and prints what comes back within 1 s. */
const UDP_ONCE = `
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
try:
    data, src = s.recvfrom(2048)
    print("reply", src[0], src[1], data.decode())
except socket.timeout:
    print("timeout")
`;

/** "reply <addr> <port> <data>" or "timeout". */
export async function udpOnce(ns: string, addr: string, port: number, text: string): Promise<string> {
  return (await inNs(ns, `${PYTHON} -c '${UDP_ONCE}' ${addr} ${port} '${text}'`)).out.trim();
}
