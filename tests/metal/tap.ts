// Linux hosts for a metal node under QEMU (root): a TAP device per NIC, made in the root
// namespace so that QEMU (run there) opens it by name, then moved into a namespace of its
// own, where it is the Linux host's interface on the node's link, as the Node host's
// router test does with the node's own TAPs (tests/e2e/router.test.ts). Also a UDP
// exchange from a namespace. Deliberately not here: QEMU (qemu.ts), what a test checks.
import { inNs, PYTHON, sh, udpOnce } from "../e2e/linux";
export { inNs, PYTHON, udpOnce };

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


