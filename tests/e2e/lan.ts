// One Ethernet segment for the client role's tests (issue #20): a network namespace
// holding a Linux bridge "br0" — the link's own Linux host (radvd runs there, pings go from
// there) — to which a test attaches TAP devices (a node's NIC) and further Linux hosts,
// each a namespace of its own on a veth pair. The bridge floods multicast (no MLD
// snooping: a node need not report its groups) and forwards at once (no STP). Ports carry
// no IPv6 of their own. Deliberately not here: the node, the router (radvd.ts).
import { sh } from "./linux";

export interface LanHost { ns: string; dev: string; mac: string }

export interface Lan {
  ns: string;
  br: string;
  /** A persistent TAP device in the segment's namespace, up and on the bridge, for a node
   *  started in that namespace to attach to (so its first frames already reach the link). */
  tap(dev: string): void;
  /** A TAP device a node opened in the root namespace, moved onto the bridge. */
  adopt(dev: string): void;
  /** A Linux host on the segment: namespace `${name}`, device "eth0" with mac. */
  host(name: string, mac: string): LanHost;
  close(): void;
}

export function lanNamespace(tag: number): Lan {
  const ns = `lan${tag}`;
  const hosts: string[] = [];
  const inNs = (cmd: string) => sh(`ip netns exec ${ns} ${cmd}`);
  const close = () => { for (const n of [ns, ...hosts]) sh(`ip netns del ${n}`, { allowFail: true }); };
  close();
  sh(`ip netns add ${ns}`);
  inNs("ip link set lo up");
  inNs("sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.forwarding=1");
  inNs("ip link add br0 type bridge mcast_snooping 0 stp_state 0 forward_delay 0");
  inNs("ip link set br0 up");
  const port = (dev: string) => {
    inNs(`sysctl -qw net.ipv6.conf.${dev}.disable_ipv6=1`);
    inNs(`ip link set ${dev} master br0 up`);
  };
  return {
    ns, br: "br0", close,
    tap(dev) { inNs(`ip tuntap add dev ${dev} mode tap`); port(dev); },
    adopt(dev) { sh(`ip link set ${dev} netns ${ns}`); port(dev); },
    host(name, mac) {
      sh(`ip netns del ${name}`, { allowFail: true });
      sh(`ip netns add ${name}`);
      hosts.push(name);
      sh(`ip link add lp${name} netns ${ns} type veth peer name eth0 netns ${name}`);
      port(`lp${name}`);
      const h = (cmd: string) => sh(`ip netns exec ${name} ${cmd}`);
      h("ip link set lo up");
      h("sysctl -qw net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth0.accept_ra=0");
      h(`ip link set eth0 address ${mac}`);
      h("ip link set eth0 up");
      return { ns: name, dev: "eth0", mac };
    },
  };
}
