// The Linux end of the parity node's link, in a network namespace of its own where the
// peer (02:00:00:00:00:99, fd00:5ab2:1::100) pings, sends UDP and runs `persia ctl`. Two
// kinds: a VXLAN device whose remote is the node's UDP socket (tests/e2e/linux.ts; the Node
// host and the wasmtime image), or a TAP that QEMU, started in the namespace, opens for the
// metal node's virtio-net NIC. Each kind says how the frames step puts a raw frame on the
// link as the peer — a VXLAN datagram to the node's socket, or a packet socket writing to
// the TAP — and which host counter counts frames too short for Ethernet.
// Used by parity.test.ts; does not boot a node.
import * as dgram from "dgram";
import { spawn } from "child_process";
import { encapsulate } from "../../hosts/node/nic/vxlan";
import { ETH_HDR } from "../../abi/kernel";
import { Status } from "../../loader/status/decode";
import { sh, vxlanNamespace } from "../e2e/linux";
import { sleep } from "../wait";
import { Link } from "./scenario";

/** Time between two injected frames, as a peer would space them. */
const FRAME_GAP_MS = 60;

export interface PeerLink {
  /** The namespace the peer runs in. */
  ns: string;
  /** The node's side of the link, for the manifest. */
  spec: Link;
  /** Sends each frame as the peer, FRAME_GAP_MS apart; resolves to the indexes of the
   *  frames the link refused to carry. */
  inject(frames: Uint8Array[]): Promise<number[]>;
  /** The host's count of received frames too short for an Ethernet header (status-host). */
  hostShort(s: Status): number;
  close(): void;
}

/** The peer behind a VXLAN tunnel to the node's socket on [hostAddr]:4789. */
export function vxlanLink(tag: number, vni: number, linuxAddr: string, mac: string): PeerLink {
  const vx = vxlanNamespace(tag, vni, linuxAddr, { mac, quiet: true });
  return {
    ns: vx.ns,
    spec: { kind: "vxlan", local: vx.hostAddr, remote: vx.peerAddr, vni },
    async inject(frames) {
      const sock = dgram.createSocket({ type: "udp6" });
      await new Promise<void>((r) => sock.bind(0, vx.hostAddr, r));
      try {
        for (const f of frames) {
          sock.send(encapsulate(vni, f), 4789, vx.hostAddr);
          await sleep(FRAME_GAP_MS);
        }
      } finally {
        sock.close();
      }
      return [];
    },
    hostShort: (s) => s.host?.nics[0].counters.drop_short ?? 0,
    close: () => vx.close(),
  };
}

/** Writes each frame (hex, one per argument after the device) to the device through a
 *  packet socket, prints "sent" or "refused <errno>" for each. */
const INJECT = `
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for h in sys.argv[2:]:
    try:
        s.send(bytes.fromhex(h))
        print("sent", flush=True)
    except OSError as e:
        print("refused", e.errno, flush=True)
    time.sleep(${FRAME_GAP_MS / 1000})
`;

/** The peer on a TAP `dev` in namespace `ns`, made before the node boots: QEMU, started in
 *  the namespace (`ip netns exec`), opens the TAP by name. No DAD, no router solicitations. */
export function tapLink(tag: number, linuxAddr: string, mac: string): PeerLink & { dev: string } {
  const ns = `pt${tag}`, dev = `ptap${tag}`;
  const inNs = (cmd: string, allowFail = false) => sh(`ip netns exec ${ns} ${cmd}`, { allowFail });
  const close = () => { sh(`ip netns del ${ns}`, { allowFail: true }); };
  close();
  try {
    sh(`ip netns add ${ns}`);
    inNs("ip link set lo up");
    inNs(`ip tuntap add dev ${dev} mode tap`);
    inNs(`ip link set ${dev} address ${mac}`);
    inNs(`sysctl -qw net.ipv6.conf.${dev}.accept_dad=0 net.ipv6.conf.${dev}.accept_ra=0 net.ipv6.conf.${dev}.router_solicitations=0`);
    inNs(`ip -6 addr add ${linuxAddr} dev ${dev} nodad`);
    inNs(`ip link set ${dev} up`);
  } catch (e) {
    close();
    throw e;
  }
  return {
    ns, dev,
    spec: { kind: "virtio" },
    async inject(frames) {
      // Linux sends at most MTU + an Ethernet header on the TAP; the oversize case is a
      // frame for the node to refuse, so the peer's MTU is raised for it meanwhile.
      const longest = Math.max(...frames.map((f) => f.length)) - ETH_HDR;
      const mtu = Number(/mtu (\d+)/.exec(inNs(`ip link show ${dev}`))![1]);
      if (longest > mtu) inNs(`ip link set ${dev} mtu ${longest}`);
      try {
        const out = await run(["ip", "netns", "exec", ns, "python3", "-c", INJECT, dev, ...frames.map((f) => Buffer.from(f).toString("hex"))]);
        const said = out.trim().split("\n");
        if (said.length !== frames.length || said.some((l) => !/^(sent|refused \d+)$/.test(l))) {
          throw new Error(`the packet socket on ${dev} did not say what it did with each of ${frames.length} frames:\n${out}`);
        }
        return said.flatMap((l, i) => (l === "sent" ? [] : [i]));
      } finally {
        if (longest > mtu) inNs(`ip link set ${dev} mtu ${mtu}`);
      }
    },
    // The metal driver drops a chain shorter than its virtio header and an Ethernet header
    // as rx_dropped (spec/metal.md "Network").
    hostShort: (s) => s.host?.nics[0].counters.rx_dropped ?? 0,
    close,
  };
}

/** Runs a command (no shell), resolves to its stdout; rejects with its stderr if it fails. */
function run(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    p.stdout!.on("data", (d) => (out += d));
    p.stderr!.on("data", (d) => (err += d));
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.slice(0, 6).join(" ")} … exited ${code}: ${err}`))));
  });
}
