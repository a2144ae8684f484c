// The demo's control-plane checks (spec/control.md): the demo's operator — a key made fresh
// for each run, added to the manifest's users, never stored — loads a second echo service
// from the node's store with a signed LOAD, which must answer pings; the same signed bytes
// sent again are refused as a replay; a LOAD whose RAM min would not fit the node's budget
// is refused by admission; an UNLOAD takes the service away. Each message goes from the
// peer to the node's own address as a UDP datagram, as `persia ctl` sends it.
import nacl from "tweetnacl";
import { CTL_PORT, Op } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { HostPlan, Manifest } from "../../loader/manifest";
import { addressFromMac, parseAddr, parseMac, parsePrefix } from "../../loader/ip6";
import { Reply, UserKey, decodeReply, hello, keyFromSeed, publicKeyText, signed } from "../../loader/control/message";
import { loadRequest, unloadBody } from "../../loader/control/request";
import { ROOT } from "../../hosts/node/paths";
import { Peer } from "../peer/peer";
import * as P from "../peer/packets";
import { Check } from "./checks";

/** A fresh operator key, and the manifest lines that make it a user for sabz.city who may
 *  give its services the addresses fd00:5ab2:1::70 to ::7f. */
export function demoOperator(): { key: UserKey; yaml: string } {
  const key = keyFromSeed(nacl.randomBytes(32));
  return { key, yaml: `users:\n  - { name: operator, key: "${publicKeyText(key.publicKey)}", domains: [sabz.city], ` +
    `addresses: ["fd00:5ab2:1::70/124"] }\n` };
}

export async function controlChecks(peer: Peer, plan: HostPlan, manifest: Manifest, op: UserKey): Promise<Check[]> {
  const nic = plan.nics[0];
  const nodeMac = parseMac(nic.mac);
  const node = addressFromMac(parsePrefix(nic.prefixes[0]).addr, nodeMac);
  let port = 45000;
  const send = async (msg: Uint8Array): Promise<Reply | null> => {
    const sport = ++port;
    peer.sendIp(nodeMac, P.udp(peer.addr, node, sport, CTL_PORT, msg));
    const r = await peer.expect((p) => p.sport === CTL_PORT && p.dport === sport && p.checksumOk === true);
    return r ? decodeReply(r.data!, { user: op, request: msg, node: null }) : null;
  };
  const ping = async (a: Uint8Array, seq: number) => {
    peer.sendIp(nodeMac, P.echoRequest(peer.addr, a, 0xc71, seq, new TextEncoder().encode("ctl")));
    return !!await peer.expect((p) => p.icmpType === P.ICMP.ECHO_REP && P.equalBytes(p.src, a) && (p.icmpWord! & 0xffff) === seq, 500);
  };
  const checks: Check[] = [];
  const h = await send(hello(op.publicKey));   // in clear: the epoch and this address's cookie
  if (!h) return [{ what: "control: HELLO to the node's address", ok: false, detail: "no answer" }];
  const addr = parseAddr("fd00:5ab2:1::70");
  const load = (domain: string, a: string, ram: string) => loadRequest(
    `{ domain: ${domain}, module: build/wasm/services/echo.wasm, addresses: ["${a}"], ram: ${ram} }`, "demo", ROOT, manifest).body;
  const msg = signed(Op.LOAD, h.epoch, h.seq + 1n, op, load("echo2.sabz.city", "fd00:5ab2:1::70", "{ min: 64KiB, max: 1MiB }"), h.cookie);
  const r = await send(msg);
  let answered = false;
  for (let i = 0; i < 5 && !answered; i++) answered = await ping(addr, 100 + i);
  checks.push({ what: "signed LOAD of echo2.sabz.city from the store", ok: r?.result === 0 && answered,
    detail: r ? `${r.text}${answered ? "; it answers pings" : "; no ping reply"}` : "no answer" });
  const again = await send(msg);
  checks.push({ what: "the same LOAD again (a replay)", ok: again?.result === -Errno.ESTALE,
    detail: again ? `refused: ${again.text}` : "no answer" });
  const big = await send(signed(Op.LOAD, h.epoch, h.seq + 2n, op, load("big.sabz.city", "fd00:5ab2:1::71", "{ min: 8MiB, max: 8MiB }"), h.cookie));
  checks.push({ what: "a LOAD over the node's RAM budget", ok: big?.result === -Errno.EDQUOT,
    detail: big ? `refused: ${big.text}` : "no answer" });
  const un = await send(signed(Op.UNLOAD, h.epoch, h.seq + 3n, op, unloadBody("echo2.sabz.city"), h.cookie));
  const gone = !await ping(addr, 200);
  checks.push({ what: "signed UNLOAD of echo2.sabz.city", ok: un?.result === 0 && gone,
    detail: un ? `${un.text}${gone ? "; its address is gone" : "; it still answers"}` : "no answer" });
  return checks;
}
