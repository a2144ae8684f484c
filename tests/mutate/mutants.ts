// The mutants `npm run mutate` tries (run.ts): each a one-line change that breaks a
// guarantee spec/ makes, and the tests that must notice. `from` must occur exactly once in
// `file`, so a mutant cannot silently apply somewhere else; when the code moves, the run
// says so and the mutant is updated with it. `tests` are as-pect specs (tests/kernel/**,
// which compile the kernel from source) or node test files (tests/**/*.test.ts, run from
// build/ts after the runner rebuilt what the mutant changed).
//
// `npm test` and `npm run mutate` run all of them (about 7 minutes on two cores); SAMPLE is a
// quicker fixed set, one or more per kind of guarantee, for `--sample` while working.

export interface Mutant {
  id: string;
  /** What guarantee the change breaks, in spec/'s words. */
  guarantee: string;
  file: string;
  from: string;
  to: string;
  tests: string[];
  /** For a mutant of services/sdk/: the services whose build its Node tests read (rebuilt). */
  services?: string[];
}

const CAPS = "tests/kernel/svc/caps.spec.ts";
const KV_POWERCUT = "tests/kv/powercut.test.ts";
const KV_MIRROR = "tests/kv/mirror.test.ts";
const CERT_VERIFY = "tests/kernel/cert/verify.spec.ts";
const CERT_ISSUE = "tests/kernel/cert/issue.spec.ts";
const WG = "tests/integration/wg.test.ts";
const WG_FLIPS = "tests/integration/wg_flips.test.ts";
const WG_REPLAY = "tests/kernel/wg/replay.spec.ts";
const RIGHTS = "tests/kernel/svc/rights.spec.ts";
const HANDLES = "tests/kernel/svc/handles.spec.ts";
const LIMITS = "tests/loader/limits.test.ts";
const EGRESS = "tests/kernel/net/egress.spec.ts";
const EGRESS_BOUNDS = "tests/kernel/net/egress-bounds.spec.ts";
const CPU = "tests/kernel/svc/cpu.spec.ts";
const MAIN = "tests/kernel/main.spec.ts";
const ROUTER = "tests/kernel/main-router.spec.ts";
const LOCAL = "tests/kernel/net/local.spec.ts";
const IPV6 = "tests/kernel/net/ipv6.spec.ts";
const ND = "tests/kernel/net/nd.spec.ts";
const CLIENT = "tests/kernel/net/client.spec.ts";
const DROPS_CLIENT = "tests/integration/drops_client.test.ts";
const CHECKSUM = "tests/kernel/net/checksum.spec.ts";
const SDK_ECHO = "tests/kernel/sdk/echo_reply.spec.ts";
const CONTROL = "tests/integration/control.test.ts";
const BUDGET = "tests/integration/control_budget.test.ts";
const SEAL = "tests/integration/seal.test.ts";
const DROPS = "tests/integration/drops.test.ts";
const DROPS_SVC = "tests/integration/drops_services.test.ts";
const DROPS_ROUTER = "tests/integration/drops_router.test.ts";
const DROPS_LIMITS = "tests/integration/drops_limits.test.ts";
const AUTHORITY = "tests/integration/authority.test.ts";
const DASHBOARD = "tests/hosts/observe/dashboard.test.ts";
const HOSTILE = "tests/integration/hostile.test.ts";
const DISK = "tests/hosts/disk.test.ts";
const FUEL = "tests/loader/fuel.test.ts";
const WASM_CODE = "tests/loader/wasm_code.test.ts";
const DELEGATIONS = "tests/loader/delegations.test.ts";
const KEYS = "tests/loader/control_manifest.test.ts";
const PUT = "tests/integration/put.test.ts";
const STATUS = "tests/loader/status.test.ts";
const METRICS_VIEW = "tests/hosts/observe/metrics.test.ts";
const LOGS = "tests/hosts/observe/log.test.ts";
const LPM = "tests/kernel/net/lpm.spec.ts";
const OBSERVE_HTTP = "tests/hosts/observe/http.test.ts";
const CAPTURE = "tests/kernel/capture.spec.ts";
const RA_STOP = "tests/kernel/net/ra-stop.spec.ts";
const CHACHA = "tests/kernel/crypto/chacha20.spec.ts";
const POLY = "tests/kernel/crypto/poly1305.spec.ts";
const AEAD = "tests/kernel/crypto/aead.spec.ts";
const BLAKE2S = "tests/kernel/crypto/blake2s.spec.ts";
const KDF = "tests/kernel/crypto/kdf.spec.ts";
const X25519 = "tests/kernel/crypto/x25519.spec.ts";
const FILTER = "tests/kernel/net/filter.spec.ts";
const MAIN_FILTER = "tests/kernel/main-filter.spec.ts";
const ED25519_SIGN = "tests/kernel/crypto/ed25519_sign.spec.ts";
const USB = "tests/kernel/svc/usb.spec.ts";
const USB_BOOT = "tests/kernel/svc/usb-boot.spec.ts";
const USB_HOSTILE = "tests/kernel/svc/usb-hostile.spec.ts";

export const MUTANTS: Mutant[] = [
  // Capability rights (spec/capabilities.md): a capability does only what its rights say.
  { id: "cap-kind-ignored", guarantee: "a handle of one kind is refused where another kind is needed",
    file: "kernel/svc/caps.ts", from: "if (unchecked(kinds[i]) != kind) return -Errno.EPERM;", to: "",
    tests: [CAPS] },
  { id: "cap-rights-ignored", guarantee: "an operation needs every right it names",
    file: "kernel/svc/caps.ts", from: "if ((<i32>unchecked(rights[i]) & need) != need) return -Errno.EPERM;",
    to: "if ((<i32>unchecked(rights[i]) & need) == 0 && need == 0) return -Errno.EPERM;", tests: [CAPS] },
  { id: "derive-without-derive", guarantee: "deriving needs the DERIVE right",
    file: "kernel/svc/caps.ts", from: "if ((pr & RIGHT_DERIVE) == 0) return -Errno.EPERM;", to: "", tests: [CAPS] },
  { id: "derive-wider", guarantee: "a derived capability's rights are a subset of its parent's",
    file: "kernel/svc/caps.ts", from: "if ((r & ~pr) != 0) return -Errno.EPERM;", to: "", tests: [CAPS] },
  { id: "disk-write-with-read", guarantee: "writing a disk extent needs WRITE",
    file: "kernel/svc/disk.ts", from: "let slot = checkIo(svc, handle, RIGHT_WRITE, off, len);",
    to: "let slot = checkIo(svc, handle, RIGHT_READ, off, len);", tests: [RIGHTS, HOSTILE] },
  { id: "disk-read-with-write", guarantee: "reading a disk extent needs READ",
    file: "kernel/svc/disk.ts", from: "let slot = checkIo(svc, handle, RIGHT_READ, off, len);",
    to: "let slot = checkIo(svc, handle, RIGHT_WRITE, off, len);", tests: [RIGHTS] },
  { id: "disk-flush-with-read", guarantee: "flushing a disk needs WRITE",
    file: "kernel/svc/disk.ts", from: "let slot = capCheck(svc, handle, CapKind.DISK, RIGHT_WRITE);",
    to: "let slot = capCheck(svc, handle, CapKind.DISK, RIGHT_READ);", tests: [RIGHTS, HOSTILE] },
  { id: "disk-extent-end", guarantee: "disk I/O stays inside the extent",
    file: "kernel/svc/disk.ts", from: "if (off > ext || <u64>len > ext - off) return -Errno.ERANGE;",
    to: "if (off > ext) return -Errno.ERANGE;", tests: [HANDLES] },
  { id: "revoke-keeps-children", guarantee: "revoking a capability revokes everything derived from it",
    file: "kernel/svc/caps.ts", from: "if (unchecked(doomed[p])) { unchecked(doomed[s] = true); changed = true; }", to: "",
    tests: [HANDLES] },
  { id: "revoke-keeps-generation", guarantee: "a revoked handle is never valid again (its slot's generation moves on)",
    file: "kernel/svc/caps.ts", from: "    unchecked(kinds[i] = <u8>CapKind.NONE);\n    unchecked(gens[i] = unchecked(gens[i]) + 1);",
    to: "    unchecked(kinds[i] = <u8>CapKind.NONE);", tests: [HANDLES] },
  { id: "deliver-without-recv", guarantee: "a service receives on an address only with the RECV right on it",
    file: "kernel/net/output.ts", from: "if (!capHolds(svc, CapKind.ADDR, routeAddrIndex(route), RIGHT_RECV))", to: "if (false)",
    tests: [RIGHTS] },

  // Source addresses (spec/security.md): a service sends only from an address it holds.
  { id: "send-any-source", guarantee: "a service sends only from its own addresses",
    file: "kernel/svc/syscall.ts", from: "if (!ownsSource(svc, p + IP_SRC)) return refused(svc, pkt, Drop.SVC_SRC, Errno.EADDRNOTAVAIL);",
    to: "", tests: [DROPS_SVC, HOSTILE] },
  { id: "send-without-send-right", guarantee: "sending from an address needs the SEND right on it",
    file: "kernel/svc/syscall.ts", from: "if (addrEq(svcAddr(svc, i), src)) return svcAddrOk(svc, i) && capHolds(svc, CapKind.ADDR, i, RIGHT_SEND);",
    to: "if (addrEq(svcAddr(svc, i), src)) return svcAddrOk(svc, i);", tests: [CAPS, DROPS_SVC, HOSTILE] },
  { id: "send-from-tentative", guarantee: "a service may not send from its address while DAD checks it (RFC 4862 §5.4)",
    file: "kernel/svc/syscall.ts", from: "if (addrEq(svcAddr(svc, i), src)) return svcAddrOk(svc, i) && capHolds(svc, CapKind.ADDR, i, RIGHT_SEND);",
    to: "if (addrEq(svcAddr(svc, i), src)) return capHolds(svc, CapKind.ADDR, i, RIGHT_SEND);", tests: [CLIENT] },
  { id: "send-link-control", guarantee: "only the kernel speaks the link's control plane (hop limit 255, ND, MLD)",
    file: "kernel/svc/syscall.ts", from: "if (ipHops(p) == ND_HOP_LIMIT) return true;", to: "",
    tests: [DROPS_SVC] },
  { id: "rx-spoofed-own-source", guarantee: "a received packet with the node's own source is a martian",
    file: "kernel/net/input.ts", from: "if (martian(p, c) || isOwn(p + IP_SRC)) {", to: "if (martian(p, c)) {",
    tests: [DROPS_ROUTER, DROPS] },

  // Drop reasons and header checks (spec/kernel.md): every malformed packet counted under its reason.
  { id: "rx-not-our-mac", guarantee: "a unicast frame for another MAC is dropped as NOT_OUR_MAC",
    file: "kernel/net/input.ts", from: "if (!groupFrame && !macEq(f, nicMac(nic))) { dropFrame(Drop.NOT_OUR_MAC, nic, f, len); return; }",
    to: "", tests: [MAIN, DROPS] },
  { id: "rx-oversize", guarantee: "a frame longer than the NIC's MTU is dropped as FRAME_OVERSIZE",
    file: "kernel/net/input.ts", from: "if (len > unchecked(nicMtu[nic]) + ETH_HDR || len > FRAME_MAX)",
    to: "if (len > FRAME_MAX)", tests: [DROPS] },
  { id: "ip-length", guarantee: "a payload length beyond the frame is IP_LENGTH",
    file: "kernel/net/ipv6.ts", from: "if (IP_HDR + plen > n) return Drop.IP_LENGTH;", to: "", tests: [IPV6, DROPS] },
  { id: "ip-multicast-source", guarantee: "a multicast source address is IP_SRC",
    file: "kernel/net/ipv6.ts", from: "if (isMulticast(p + IP_SRC)) return Drop.IP_SRC;", to: "", tests: [IPV6, DROPS] },
  { id: "ext-fragment", guarantee: "fragments are dropped as FRAGMENT (no reassembly)",
    file: "kernel/net/ipv6.ts", from: "if (next == NH_FRAGMENT) return Drop.FRAGMENT;", to: "", tests: [IPV6, DROPS] },
  { id: "hop-limit", guarantee: "a forwarded packet with hop limit 1 is HOP_LIMIT, with Time Exceeded",
    file: "kernel/net/output.ts", from: "if (hops <= 1) {", to: "if (hops < 1) {", tests: [ROUTER, DROPS_ROUTER] },
  { id: "nd-hop-255", guarantee: "an NS/NA whose hop limit is not 255 is ND_INVALID (RFC 4861 §7.1)",
    file: "kernel/net/nd.ts", from: "if (ipHops(p) != ND_HOP_LIMIT || icmpCode(m) != 0", to: "if (icmpCode(m) != 0",
    tests: [ND, MAIN, DROPS] },
  // A stopping router (spec/kernel.md "Router advertisements", RFC 4861 §6.2.5).
  { id: "ra-final-lifetime", guarantee: "a stopping router's final RAs carry router lifetime 0",
    file: "kernel/net/ra.ts", from: "let life: u16 = !stopping && hasDefaultRoute()", to: "let life: u16 = hasDefaultRoute()",
    tests: [RA_STOP] },
  { id: "ra-final-count", guarantee: "a stopping router sends FINAL_RTR_ADVERTISEMENTS final RAs per NIC, then none",
    file: "kernel/net/ra.ts", from: "if (left == 0) unchecked(on[nic] = false);", to: "", tests: [RA_STOP] },
  { id: "ra-final-spacing", guarantee: "a final RA waits MIN_DELAY_BETWEEN_RAS after the last multicast RA (§6.2.6)",
    file: "kernel/net/ra.ts", from: "if (unchecked(raSent[n]) > 0 && last > at) at = last;", to: "", tests: [RA_STOP] },

  // The client role (issue #20): what a host on the link can and cannot change.
  { id: "ra-hop-255", guarantee: "an RA whose hop limit is not 255 teaches the node nothing (RFC 4861 §6.1.2)",
    file: "kernel/net/ra.ts", from: "if (!isLinkLocal(ipSrc(p)) || ipHops(p) != ND_HOP_LIMIT || icmpCode(m) != 0 || len < RA_OPTIONS ||",
    to: "if (!isLinkLocal(ipSrc(p)) || icmpCode(m) != 0 || len < RA_OPTIONS ||", tests: [CLIENT] },
  { id: "ra-stranger-offlink", guarantee: "only the router that advertised a prefix may take it off-link",
    file: "kernel/net/routers.ts", from: "let owner = addrEq(advertiser(i), src);",
    to: "let owner = true;", tests: [CLIENT] },
  { id: "slaac-two-hours", guarantee: "an RA cannot cut a learned address's valid lifetime below two hours (RFC 4862 §5.5.3 e)",
    file: "kernel/net/slaac.ts", from: "else if (owner && left - now > TWO_HOURS_MS) unchecked(aValid[i] = now + TWO_HOURS_MS);",
    to: "else unchecked(aValid[i] = v);", tests: [CLIENT] },
  { id: "slaac-stranger-shortens", guarantee: "only a prefix's router may shorten the lifetimes of its addresses",
    file: "kernel/net/slaac.ts", from: "if (fresh || owner || p > unchecked(aPreferred[i])) unchecked(aPreferred[i] = p);",
    to: "unchecked(aPreferred[i] = p);", tests: [CLIENT] },
  { id: "router-stale-unreachable", guarantee: "a STALE router is probably reachable: a second router does not move the default route (RFC 4861 §6.3.6)",
    file: "kernel/net/nd.ts", from: "return i >= 0 && unchecked(nState[i]) != NeighState.INCOMPLETE;",
    to: "return i >= 0 && unchecked(nState[i]) != NeighState.INCOMPLETE && unchecked(nState[i]) != NeighState.STALE;",
    tests: ["tests/kernel/net/client-choose.spec.ts"] },
  { id: "retrans-unbounded", guarantee: "an advertised RetransTimer cannot stall DAD beyond RETRANS_MAX_MS",
    file: "kernel/net/routers.ts", from: "retrans == 0 ? 0 : min(max(retrans, RETRANS_MIN_MS), RETRANS_MAX_MS));",
    to: "retrans);", tests: ["tests/kernel/net/client-retrans.spec.ts"] },
  { id: "learned-by-slot", guarantee: "a new prefix gets addresses of its own, whatever address a withdrawn one left",
    file: "kernel/net/learned.ts", from: "if (!unchecked(held[SVC_MAX])) learnedAddress(nic, prefix, NODE, valid, preferred);",
    to: "if (!unchecked(held[SVC_MAX]) && addrHigh < 2) learnedAddress(nic, prefix, NODE, valid, preferred);",
    tests: ["tests/kernel/net/client-renumber.spec.ts"] },
  { id: "evict-for-router", guarantee: "full tables make room for the default router in use",
    file: "kernel/net/routers.ts", from: "if (i < 0 && inUse && evictPrefix(nic)) i = newPrefix(nic, prefix, plen);",
    to: "", tests: ["tests/kernel/net/client-evict.spec.ts"] },
  { id: "slaac-not-64", guarantee: "only a /64 prefix with A forms addresses",
    file: "kernel/net/routers.ts", from: "if ((flags & PI_AUTONOMOUS) != 0 && plen == 64 && preferred <= valid) {",
    to: "if ((flags & PI_AUTONOMOUS) != 0 && preferred <= valid) {", tests: [CLIENT] },
  { id: "dad-tentative-delivered", guarantee: "a packet to an address under DAD is dropped (RFC 4862 §5.4)",
    file: "kernel/net/output.ts", from: "if (tentatives != 0 && (route < 0 || routeKind(route) > RouteKind.LOCAL) && isTentative(dst)) {",
    to: "if (false) {", tests: [CLIENT, DROPS_CLIENT] },
  { id: "dad-na-ignored", guarantee: "an NA for an address under DAD makes it a duplicate",
    file: "kernel/net/nd.ts", from: "if (dadHeard(nic, m + ND_TARGET, true)) return;", to: "", tests: [CLIENT, DROPS_CLIENT] },
  { id: "redirect-any-router", guarantee: "only the current first hop may redirect a destination (RFC 4861 §8.1)",
    file: "kernel/net/routers.ts", from: "if (r < 0 || routeKind(r) != RouteKind.STATIC || routeNic(r) != nic || !addrEq(routeVia(r), src)) {",
    to: "if (r < 0) {", tests: [CLIENT] },
  { id: "learned-route-room", guarantee: "routes learned from the link cannot take the room the manifest and LOADs need",
    file: "kernel/net/route.ts", from: "if (learned ? learnedCount >= ROUTE_LEARNED_MAX : routeCount - learnedCount >= ROUTE_MANIFEST_MAX) return -1;",
    to: "if (routeCount >= ROUTE_MANIFEST_MAX) return -1;", tests: [CLIENT] },

  // Checksums.
  { id: "icmp-checksum", guarantee: "ICMPv6 with a wrong checksum is ICMP_CHECKSUM",
    file: "kernel/net/local.ts", from: "if (l4Checksum(p, off, len, NH_ICMPV6) != 0) { dropSent(Drop.ICMP_CHECKSUM, pkt, nic); pktFree(pkt); return NONE; }",
    to: "", tests: [LOCAL, MAIN, DROPS] },
  { id: "checksum-odd-byte", guarantee: "the checksum counts an odd last byte (RFC 1071)",
    file: "wire/checksum.ts", from: "if (i < n) s += <u64>load<u8>(p + <usize>i);", to: "",
    tests: [CHECKSUM, LOCAL] },
  { id: "checksum-wide-fold", guarantee: "the checksum read 8 bytes a load folds every carry (RFC 1071)",
    file: "wire/checksum.ts", from: "  s = (s & 0xffffffff) + (s >> 32);", to: "  s = s & 0xffffffff;",
    tests: [SDK_ECHO] },
  { id: "checksum-one-sum", guarantee: "a message after the fixed header is summed with the pseudo-header whole",
    file: "wire/checksum.ts", from: "return finish(sum(ip + IP_SRC, 2 * ADDR_LEN + len, rest));",
    to: "return finish(sum(ip + IP_SRC, 2 * ADDR_LEN + len - 1, rest));", tests: [SDK_ECHO, CHECKSUM] },
  { id: "checksum-adjust", guarantee: "an updated checksum is RFC 1624 eqn. 3's, what a full sum gives",
    file: "wire/checksum.ts", from: "finish(<u64>(~check & 0xffff)", to: "finish(<u64>(check & 0xffff)",
    tests: [SDK_ECHO] },
  { id: "echo-reply-checksum", guarantee: "an Echo Reply's checksum is updated for the changed type",
    file: "services/sdk/icmpv6.ts", from: "adjust(ld16(m + CHECKSUM), ECHO_REQUEST << 8, ECHO_REPLY << 8)",
    to: "adjust(ld16(m + CHECKSUM), ECHO_REQUEST, ECHO_REPLY)", tests: [SDK_ECHO] },
  { id: "batch-reply-moves", guarantee: "a reply kept in place moves down over the packets not answered",
    file: "services/sdk/batch.ts", from: "if (keep != cur) memory.copy(r + REC_HDR, at, <usize>len);", to: "",
    tests: ["tests/hosts/batch.test.ts"], services: ["echo"] },
  { id: "batch-drained-room", guarantee: "a full batch is not taken for a drained queue",
    file: "services/sdk/batch.ts", from: "return inLeft == 0 && !cut && inOff + recSize(MTU_MAX) <= min(BYTES, SYS_BATCH_SIZE);",
    to: "return inLeft == 0 && !cut;", tests: ["tests/hosts/batch.test.ts"], services: ["echo"] },
  { id: "ctl-udp-checksum", guarantee: "a control datagram with a wrong UDP checksum is CTL_MALFORMED",
    file: "kernel/ctl/control.ts", from: "l4Checksum(p, off, len, NH_UDP) != 0) { dropSent(Drop.CTL_MALFORMED,",
    to: "false) { dropSent(Drop.CTL_MALFORMED,", tests: [CONTROL, DROPS] },

  // Control messages: replay, signature, cookie, budgets (spec/control.md).
  { id: "ctl-replay", guarantee: "a sequence number not above the last accepted is refused (replay)",
    file: "kernel/ctl/control.ts", from: "if (seq <= userLastSeq(user))", to: "if (seq < userLastSeq(user))",
    tests: [CONTROL] },
  { id: "ctl-epoch", guarantee: "a message signed for another boot's epoch is refused",
    file: "kernel/ctl/control.ts", from: "if (signedOp && load<u64>(m + C.CTL_EPOCH) != epoch)", to: "if (false)",
    tests: [CONTROL] },
  { id: "ctl-signature", guarantee: "a message whose signature does not verify is refused",
    file: "kernel/ctl/control.ts", from: "if (!ed25519Verify(m + <usize>n, m, n, key))",
    to: "if (!ed25519Verify(m + <usize>n, m, n, key) && false)", tests: [CONTROL] },
  { id: "ctl-cookie", guarantee: "a message without this node's cookie for its source is not verified",
    file: "kernel/ctl/control.ts", from: "if (!cookieValid(src, m + C.CTL_COOKIE)) return inClear(pkt, ports, op,",
    to: "if (false) return inClear(pkt, ports, op,",
    tests: [CONTROL, BUDGET] },
  // Sealed answers (spec/control.md, "Sealed answers").
  { id: "seal-unbound", guarantee: "an answer is signed over its request's hash: an old answer does not fit a new request",
    file: "kernel/ctl/seal.ts", from: "sha256(req, n, SIGNED);", to: "memory.fill(SIGNED, 0, 32);", tests: [SEAL] },
  { id: "seal-fill", guarantee: "answers before authentication are as long as the request, for users and strangers alike",
    file: "kernel/ctl/control.ts", from: "let n = fill ? C.SP_TEXT + room :", to: "let n = false ? C.SP_TEXT + room :", tests: [SEAL] },
  { id: "ctl-node-budget", guarantee: "the node verifies at most CTL_VERIFY_PER_S signatures a second",
    file: "kernel/ctl/budget.ts", from: "if (sc < 1000 || kc < 1000 || nodeCredit < 1000) return false;",
    to: "if (sc < 1000 || kc < 1000) return false;", tests: [BUDGET, CONTROL] },
  { id: "ctl-key-budget", guarantee: "signatures claiming one key are checked at most CTL_KEY_PER_S a second, from anywhere",
    file: "kernel/ctl/budget.ts", from: "if (sc < 1000 || kc < 1000 || nodeCredit < 1000) return false;",
    to: "if (sc < 1000 || nodeCredit < 1000) return false;", tests: [BUDGET] },
  { id: "ctl-authority-extent", guarantee: "a user grants only disk extents delegated to it",
    file: "kernel/ctl/authority.ts", from: "if (!extentDelegated(u, disk, rights & (RIGHT_READ | RIGHT_WRITE), off, len)) {",
    to: "if (false) {", tests: [AUTHORITY] },

  // Module transfer (PUT, spec/control.md "Module transfer (PUT)").
  { id: "put-hash-unchecked", guarantee: "a PUT's module is stored only if its SHA-256 is the one the PUT named",
    file: "kernel/ctl/put.ts", from: "if (memory.compare(DIGEST, hashOf(t), 32) != 0) {", to: "if (false) {", tests: [PUT] },
  { id: "put-chunk-cookie", guarantee: "a CHUNK without its source address's cookie is refused",
    file: "kernel/ctl/control.ts", from: "if (!cookieValid(src, m + C.CTL_COOKIE)) return inClear(pkt, ports, C.Op.CHUNK,",
    to: "if (false) return inClear(pkt, ports, C.Op.CHUNK,", tests: [PUT] },
  { id: "put-chunk-id", guarantee: "a CHUNK must name a live transfer's id",
    file: "kernel/ctl/put.ts", from: "if (d == 0 && memory.compare(", to: "if (memory.compare(", tests: [PUT] },
  { id: "put-chunk-unasked", guarantee: "a CHUNK that does not ask (CK_ANSWER) is written but not answered: sealing costs ~2 ms",
    file: "kernel/ctl/control.ts", from: "if ((load<u8>(m + C.CTL_HEADER + C.CK_FLAGS) & C.CK_ANSWER) == 0) {", to: "if (false) {", tests: [PUT] },
  { id: "put-chunk-answer-budget", guarantee: "the node seals at most CHUNK_ANSWER_PER_S chunk answers a second",
    file: "kernel/ctl/control.ts", from: "if (!budgetTakeAnswer() ||", to: "if (false ||", tests: [PUT] },
  { id: "put-chunk-flags", guarantee: "a CHUNK with flags other than CK_ANSWER is malformed",
    file: "kernel/ctl/control.ts", from: "(load<u8>(m + C.CTL_HEADER + C.CK_FLAGS) & ~C.CK_ANSWER) != 0", to: "false", tests: [PUT] },
  { id: "put-ack-unbound", guarantee: "the PUT client takes a chunk's answer only if it is signed for one of the chunks it sent",
    file: "loader/control/sealed.ts", from: "if (!asked.some((q) =>", to: "if (false && !asked.some((q) =>", tests: [PUT] },
  { id: "put-ack-unpinned", guarantee: "the PUT client takes chunk answers only from the key that signed the PUT's answer",
    file: "cli/put.ts", from: "node: this.node })", to: "node: null })", tests: [PUT] },
  { id: "put-quota", guarantee: "a user PUTs no more than its store quota",
    file: "kernel/ctl/put.ts", from: "if (!already && used(u) + <u64>bytes > <u64>unchecked(quota[u])) {", to: "if (false) {", tests: [PUT] },

  // Rate limits and limits.
  { id: "icmp-error-rate", guarantee: "ICMPv6 errors are rate-limited (RFC 4443 §2.4(f))",
    file: "kernel/net/icmpv6.ts", from: "if (!takeToken()) { drop(Drop.ICMP_RATE); return NONE; }", to: "",
    tests: [MAIN, DROPS_LIMITS] },
  { id: "svc-rx-queue", guarantee: "a service's receive queue holds at most SVC_RXQ packets",
    file: "kernel/svc/queue.ts", from: "if (c >= SVC_RXQ)", to: "if (c >= SVC_RXQ * 4)", tests: ["tests/kernel/svc/queue.spec.ts", DROPS_SVC] },
  { id: "svc-pool-share", guarantee: "a service holds at most SVC_POOL_SHARE packet buffers",
    file: "kernel/svc/syscall.ts", from: "if (unchecked(svcHeld[svc]) >= SVC_POOL_SHARE ||", to: "if (",
    tests: ["tests/integration/flood.test.ts"] },
  { id: "admit-cpu-mins", guarantee: "the services' CPU mins fit the period, or the boot is refused",
    file: "kernel/svc/admit.ts", from: "if (cpu > CPU_SHARE_MAX) {", to: "if (cpu > CPU_SHARE_MAX + 100) {",
    tests: [CONTROL] },
  { id: "route-table-short", guarantee: "every manifest the loader accepts boots: the route table holds the largest",
    file: "kernel/param.ts", from: "export const ROUTE_MANIFEST_MAX: i32 = ROUTE_STATIC_MAX + PREFIX_MAX + SVC_MAX * ADDR_PER_SVC + NIC_MAX + 2 * PREFIX_MAX;",
    to: "export const ROUTE_MANIFEST_MAX: i32 = ROUTE_STATIC_MAX + PREFIX_MAX + SVC_MAX * ADDR_PER_SVC + NIC_MAX + 2 * PREFIX_MAX - 1;", tests: [LIMITS] },
  { id: "user-prefixes-short", guarantee: "every manifest the loader accepts boots: every user prefix fits",
    file: "kernel/ctl/delegations.ts", from: "if (pfxCount >= USER_PREFIX_MAX) return -2;", to: "if (pfxCount >= USER_PREFIX_MAX - 1) return -2;",
    tests: [LIMITS] },

  // Egress and CPU shares (spec/kernel.md): a max is the max plus one idle burst, a min is met,
  // a CPU max is overshot by at most one call.
  { id: "egress-max-fast", guarantee: "a class sends at most its max (credit accrues at its rate, not 1.5 % more)",
    file: "kernel/net/egress.ts",
    from: "if (r > 0) unchecked(maxCredit[i] = min(cap(r, frame, ms), unchecked(maxCredit[i]) + <i64>r * dt / 1000));",
    to: "if (r > 0) unchecked(maxCredit[i] = min(cap(r, frame, ms), unchecked(maxCredit[i]) + <i64>r * dt * 1015 / 1000000));",
    tests: [EGRESS_BOUNDS] },
  { id: "egress-idle-burst", guarantee: "a class back from idle bursts at most 2 ms of its rate plus one frame",
    file: "kernel/net/egress.ts", from: "const CAP_MS: i64 = 2;", to: "const CAP_MS: i64 = 3;", tests: [EGRESS_BOUNDS] },
  { id: "egress-min-ignored", guarantee: "a class is sent ahead as its min only while its min credit covers its frame",
    file: "kernel/net/egress.ts", from: "if (unchecked(minCredit[i]) < <i64>size || !underMax(i, size)) continue;",
    to: "if (!underMax(i, size)) continue;", tests: [EGRESS] },
  { id: "egress-catchup", guarantee: "after a late poll a class makes up at most 100 ms",
    file: "kernel/net/egress.ts", from: "const CATCHUP_MS: i64 = 100;", to: "const CATCHUP_MS: i64 = 200;", tests: [EGRESS] },
  { id: "egress-empty-keeps-credit", guarantee: "a class whose queue ran empty keeps at most the idle cap",
    file: "kernel/net/egress.ts", from: "    if (w) continue;", to: "    if (w || !w) continue;", tests: [EGRESS_BOUNDS] },
  { id: "cpu-max-wide", guarantee: "a service uses at most its CPU max, plus one call",
    file: "kernel/svc/cpu.ts", from: "unchecked(maxFuel[svc] = <i64>CPU_PERIOD_FUEL * max / CPU_SHARE_MAX);",
    to: "unchecked(maxFuel[svc] = <i64>CPU_PERIOD_FUEL * max * 12 / (10 * CPU_SHARE_MAX));", tests: [CPU] },
  { id: "cpu-mins-not-kept", guarantee: "capacity still owed to services under their min is kept back from the others",
    file: "kernel/svc/cpu.ts", from: "&& usedAll + owedAll < CPU_PERIOD_FUEL;", to: "&& usedAll < CPU_PERIOD_FUEL;", tests: [CPU] },
  { id: "cpu-period-never-ends", guarantee: "each CPU period is 100 ms, and then the use starts again",
    file: "kernel/svc/cpu.ts", from: "if (periodStart >= 0 && now < periodStart + CPU_PERIOD_MS) return;",
    to: "if (periodStart >= 0) return;", tests: [CPU] },
  { id: "cpu-min-not-first", guarantee: "services under their CPU min run first",
    file: "kernel/svc/sched.ts", from: "if (pass == 0 && !cpuUnderMin(svc)) return;", to: "if (pass == 0) return;",
    tests: [CPU] },
  { id: "cpu-not-charged", guarantee: "the fuel a call used is charged to the service's CPU share",
    file: "kernel/svc/sched.ts", from: "cpuCharge(svc, used); }", to: "}", tests: [CPU] },

  // Fuel (spec/instrumentation.md).
  { id: "fuel-import-cost", guarantee: "a call that may reach a syscall costs IMPORT_CALL_COST more",
    file: "loader/instrument/fuel.ts", from: "export const IMPORT_CALL_COST = 1000;", to: "export const IMPORT_CALL_COST = 0;",
    tests: [FUEL] },
  { id: "fuel-loop-charge", guarantee: "every loop iteration is charged for the instructions in it",
    file: "loader/instrument/fuel.ts", from: "x.Loop.setBody(loop, this.chargedBody(f, m.local.get(f.fuel, b.i64), 1 + region.count, x.Loop.getBody(loop)));",
    to: "x.Loop.setBody(loop, this.chargedBody(f, m.local.get(f.fuel, b.i64), 1, x.Loop.getBody(loop)));", tests: [FUEL] },

  // Loader limits and delegations.
  { id: "loader-depth", guarantee: "a function nested deeper than DEPTH_MAX is refused before binaryen reads it",
    file: "loader/wasm/limits.ts", from: "export const DEPTH_MAX = 512;", to: "export const DEPTH_MAX = 100_000;",
    tests: [WASM_CODE] },
  { id: "loader-small-order-key", guarantee: "a user key of small order (which verifies forged signatures) is refused",
    file: "loader/control/keys.ts", from: "if (p[0] === 0n && p[1] === 1n) {", to: "if (false) {", tests: [KEYS, CONTROL] },
  { id: "loader-user-prefix-all", guarantee: "a user may not be delegated ::/0",
    file: "loader/manifest/delegations.ts", from: "if (p.len === 0) throw", to: "if (p.len < 0) throw", tests: [DELEGATIONS] },
  { id: "loader-user-prefix-route", guarantee: "a user's prefix may not overlap a static route",
    file: "loader/manifest/delegations.ts", from: "const r = routes.findIndex((x) => x !== null && x.len > 0 && overlaps(x, p));",
    to: "const r = -1;", tests: [DELEGATIONS] },

  // The operator's disk operations (spec/hosts.md "Disks", spec/security.md).
  { id: "disk-fault-ignored", guarantee: "while a fault is injected every disk call answers EIO and touches nothing",
    file: "hosts/node/disk.ts", from: "    if (this.faulty || this.broken !== \"\") {", to: "    if (this.broken !== \"\") {", tests: ["tests/storage/disk_ops.test.ts"] },
  { id: "disk-fsync-not-sticky", guarantee: "after a failed fsync every call of that disk answers EIO until detach + attach",
    file: "hosts/node/disk.ts", from: "      this.broken = message;", to: "", tests: ["tests/storage/disk_ops.test.ts", "tests/kv/node.test.ts"] },
  { id: "disk-attach-detached-alias", guarantee: "attach refuses the file of another disk even while that disk is detached",
    file: "hosts/node/disk_ops.ts", from: "d !== disk && clash(d.ident, ident)", to: "d !== disk && d.state !== \"detached\" && clash(d.ident, ident)",
    tests: ["tests/storage/disk_ops.test.ts"] },
  { id: "disk-attach-shared", guarantee: "attach refuses a file another disk of the node has open",
    file: "hosts/node/disk.ts", from: "    if (other !== null) {", to: "    if (false) {", tests: ["tests/storage/disk_ops.test.ts"] },
  { id: "status-socket-umask", guarantee: "the status socket, which takes disk operations, is its owner's and root's only",
    file: "hosts/node/status_server.ts", from: "fs.chmodSync(path, 0o600);", to: "fs.chmodSync(path, 0o666);", tests: ["tests/storage/disk_ops.test.ts"] },

  // The dashboard (spec/observe.md).
  { id: "dashboard-stream-limit", guarantee: "at most MAX_STREAMS event streams at once; one more gets 503",
    file: "hosts/node/observe/events.ts", from: "if (this.streams.size >= this.maxStreams) {", to: "if (false) {",
    tests: [DASHBOARD] },
  { id: "dashboard-listeners-kept", guarantee: "the node listens on its Observed only while a stream is open",
    file: "hosts/node/observe/events.ts", from: "if (!this.streams.delete(res) || this.streams.size > 0) return;",
    to: "if (!this.streams.delete(res) || this.streams.size >= 0) return;", tests: [DASHBOARD] },
  { id: "dashboard-slow-client-kept", guarantee: "an event stream left MAX_BUFFERED bytes unread is cut",
    file: "hosts/node/observe/events.ts", from: "if (res.writableLength > MAX_BUFFERED) res.destroy();", to: "",
    tests: [DASHBOARD] },
  { id: "observe-rebinding", guarantee: "a request to a loopback address under a DNS name is refused (DNS rebinding)",
    file: "hosts/node/observe/http.ts", from: "if (isLoopback(req.socket.localAddress ?? \"\") && !localName(req.headers.host)) {",
    to: "if (false) {", tests: [OBSERVE_HTTP] },
  { id: "observe-cross-site", guarantee: "a request another web page makes is refused",
    file: "hosts/node/observe/http.ts", from: "if (site === \"cross-site\" || site === \"same-site\" || (req.headers.origin !== undefined && !sameOrigin(req.headers.origin, req.headers.host))) {",
    to: "if (false) {", tests: [OBSERVE_HTTP] },
  // Observability (spec/observe.md): the metrics are the kernel's counters, in base units;
  // a log line is tagged with the service it is about.
  { id: "metrics-counter-summed", guarantee: "a counter is the kernel's total, however often Prometheus scrapes",
    file: "loader/status/metrics.ts", from: "this.reset();   // the kernel's total, not a sum over scrapes", to: "",
    tests: [METRICS_VIEW] },
  { id: "metrics-time-ms", guarantee: "kernel time is in seconds",
    file: "loader/status/metrics.ts", from: "node((n) => [[{}, n.nowMs / 1000]])", to: "node((n) => [[{}, n.nowMs]])", tests: [STATUS] },
  { id: "log-domain-lost", guarantee: "a log line about a service carries the service's domain",
    file: "hosts/node/observe/log.ts", from: "domain: svc?.name ?? ctx.node,", to: "domain: ctx.node,", tests: [LOGS] },
  { id: "log-control-bytes", guarantee: "a service's log line cannot carry a control byte (a second line, a terminal escape)",
    file: "kernel/svc/syscall.ts", from: "if (b < 0x20 || b == 0x7f) store<u8>(SCRATCH + <usize>i, 0x3f);   // '?'", to: "",
    tests: ["tests/kernel/svc/log.spec.ts"] },
  // Packet capture (spec/abi.md, "Packet capture"): off by default, exact bytes, filtered.
  { id: "capture-filter-ignored", guarantee: "a capture filtered by service reports only records that name it",
    file: "kernel/capture.ts", from: "if (onlySvc != CAPTURE_NONE && svc != onlySvc) return;", to: "", tests: [CAPTURE] },
  { id: "capture-drop-no-bytes", guarantee: "a dropped packet is reported with the bytes the kernel had",
    file: "kernel/stats.ts", from: "capture(CapturePoint.DROP_PACKET, nic, svc, <i32>reason, pktData(pkt), pktLen(pkt));",
    to: "capture(CapturePoint.DROP_PACKET, nic, svc, <i32>reason, pktData(pkt), 0);", tests: [CAPTURE] },
  { id: "capture-on-by-default", guarantee: "capture is off until a host turns it on",
    file: "kernel/capture.ts", from: "export let capturing: u32 = 0;", to: "export let capturing: u32 = CAPTURE_ALL;", tests: [CAPTURE] },
  // WireGuard's primitives (kernel/crypto, issue #13): each as its RFC says, and a sealed
  // message opens only whole and unchanged.
  { id: "chacha-rotation", guarantee: "ChaCha20 is RFC 8439's (quarter round rotations 16, 12, 8, 7)",
    file: "kernel/crypto/chacha20.ts", from: "x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);",
    to: "x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 8);", tests: [CHACHA, AEAD] },
  { id: "poly-clamp", guarantee: "Poly1305 clamps r (RFC 8439 §2.5)",
    file: "kernel/crypto/poly1305.ts", from: "r1 = (load<u32>(key, 3) >> 2) & 0x3ffff03;", to: "r1 = (load<u32>(key, 3) >> 2) & 0x3ffffff;",
    tests: [POLY] },
  { id: "poly-not-reduced", guarantee: "a Poly1305 tag is reduced mod 2^130 - 5 before s is added",
    file: "kernel/crypto/poly1305.ts", from: "let keep = (g4 >> 31) - 1;", to: "let keep: u32 = 0;", tests: [POLY] },
  { id: "aead-tag-ignored", guarantee: "aeadOpen refuses a message whose tag does not verify",
    file: "kernel/crypto/aead.ts", from: "if (!ok) return false;", to: "", tests: [AEAD] },
  { id: "aead-writes-first", guarantee: "a refused aeadOpen leaves its destination untouched",
    file: "kernel/crypto/aead.ts", from: "let ok = ctEq(WANT, c + <usize>body, TAG);",
    to: "let ok = ctEq(WANT, c + <usize>body, TAG); if (!ok) chacha20Xor(dst, c, body, key, nonce, 1);", tests: [AEAD] },
  { id: "aead-ad-length", guarantee: "the AEAD's tag covers the length of the associated data (RFC 8439 §2.8)",
    file: "kernel/crypto/aead.ts", from: "store<u64>(LENS, <u64>max(adLen, 0), 0);", to: "store<u64>(LENS, 0, 0);", tests: [AEAD] },
  { id: "xaead-nonce-tail", guarantee: "XChaCha20's inner nonce is 4 zero bytes and the nonce's last 8",
    file: "kernel/crypto/aead.ts", from: "memory.copy(NONCE + 4, nonce24 + 16, 8);", to: "memory.copy(NONCE + 4, nonce24 + 16, 4);", tests: [AEAD] },
  { id: "ct-tail-ignored", guarantee: "ctEq compares every byte",
    file: "kernel/crypto/ct.ts", from: "for (; i < n; i++) d |= <u32>(load<u8>(a + <usize>i) ^ load<u8>(b + <usize>i));", to: "",
    tests: ["tests/kernel/crypto/ct.spec.ts"] },
  { id: "blake2s-final-flag", guarantee: "BLAKE2s flags its last block (RFC 7693 §3.2)",
    file: "kernel/crypto/blake2s.ts", from: "(last ? 0xffffffff : 0)", to: "0", tests: [BLAKE2S] },
  { id: "blake2s-last-not-held", guarantee: "BLAKE2s keeps a message's last whole block for the final compression",
    file: "kernel/crypto/blake2s.ts", from: "if (bufLen == 0 && n > BLOCK) {", to: "if (bufLen == 0 && n >= BLOCK) {", tests: [BLAKE2S] },
  { id: "hmac-opad", guarantee: "HMAC's outer key is K XOR opad (RFC 2104)",
    file: "kernel/crypto/kdf.ts", from: "0x6a6a6a6a6a6a6a6a", to: "0x5c5c5c5c5c5c5c5c", tests: [KDF] },
  { id: "kdf-counter-byte", guarantee: "WireGuard's KDF feeds τ1 ‖ 0x2 for τ2",
    file: "kernel/crypto/kdf.ts", from: "hmacBlake2s(T2, T0, HASH, T1, HASH + 1);", to: "hmacBlake2s(T2, T0, HASH, T1, HASH);", tests: [KDF] },
  { id: "field-fold", guarantee: "field25519's product folds 2^256 as 38 (mod 2^255 - 19)",
    file: "kernel/crypto/field25519.ts", from: "store<i64>(limb(MT, 0), a0 * v(b, 0) + 38 * (", to: "store<i64>(limb(MT, 0), a0 * v(b, 0) + 37 * (",
    tests: [X25519, "tests/kernel/crypto/ed25519.spec.ts"] },
  { id: "fe-fold", guarantee: "fe25519's product folds 2^255 as 19 (mod 2^255 - 19)",
    file: "kernel/crypto/fe25519.ts", from: "g9_19 = g9 * 19", to: "g9_19 = g9 * 18",
    tests: ["tests/kernel/crypto/ed25519.spec.ts", ED25519_SIGN] },
  { id: "ed25519-x0-sign", guarantee: "a key with x = 0 and the sign bit set does not decode (RFC 8032 §5.1.3)",
    file: "kernel/crypto/ge25519.ts", from: "if (sign == 1 && feIsZero(X)) return false;", to: "",
    tests: ["tests/kernel/crypto/ed25519.spec.ts"] },
  { id: "ed25519-base-table", guarantee: "verification's table of B's odd multiples holds B's",
    file: "kernel/crypto/ge25519_base.ts", from: "25967493, 19198397, 29566455", to: "25967494, 19198397, 29566455",
    tests: ["tests/kernel/crypto/ed25519.spec.ts"] },
  { id: "x25519-clamp", guarantee: "X25519 clears the scalar's low three bits (RFC 7748 §5)",
    file: "kernel/crypto/x25519.ts", from: "store<u8>(K, load<u8>(K) & 248);", to: "", tests: [X25519] },
  { id: "x25519-zero-accepted", guarantee: "X25519 refuses an all-zero result (a point of small order)",
    file: "kernel/crypto/x25519.ts", from: "return d != 0;", to: "return true;", tests: [X25519] },
  { id: "ed25519-sign-unclamped", guarantee: "signing clamps the secret scalar: its low three bits cleared (RFC 8032 §5.1.5)",
    file: "kernel/crypto/ed25519_sign.ts", from: "store<u8>(EXP, load<u8>(EXP) & 248);", to: "", tests: [ED25519_SIGN] },
  { id: "tai64n-base", guarantee: "a TAI64N label counts from 2^62 + 10 s",
    file: "kernel/crypto/tai64n.ts", from: "0x400000000000000a", to: "0x4000000000000000", tests: ["tests/kernel/crypto/tai64n.spec.ts"] },
  // Sealed links (kernel/wg/, issue #13)
  { id: "wg-src-unchecked", guarantee: "a decrypted packet from a source outside the peer's allowed ranges is dropped (cryptokey routing)",
    file: "kernel/wg/link.ts", from: "if (S.peerFor(nic, c + IP_SRC) != p) { drop(Drop.WG_SRC); return 0; }", to: "", tests: [WG] },
  { id: "wg-replay-unchecked", guarantee: "a transport message's counter is accepted once (the replay window)",
    file: "kernel/wg/link.ts", from: "if (!replayCheck(k, counter, REJECT_AFTER_MESSAGES)) { drop(Drop.WG_REPLAY); return 0; }", to: "replayCheck(k, counter, REJECT_AFTER_MESSAGES);", tests: [WG] },
  { id: "wg-replay-window-old", guarantee: "a counter behind the window is refused",
    file: "kernel/wg/replay.ts", from: "} else if (last - c > WINDOW) {", to: "} else if (false) {", tests: [WG_REPLAY] },
  { id: "wg-mac1-unchecked", guarantee: "a handshake message needs a right mac1 before any Diffie-Hellman work",
    file: "kernel/wg/link.ts", from: "if (!mac1Ok(nic, m, size)) { drop(Drop.WG_MAC); return; }", to: "", tests: [WG_FLIPS] },
  { id: "wg-no-cookie-under-load", guarantee: "under load, a handshake without a valid mac2 gets a cookie reply, not DH work",
    file: "kernel/wg/link.ts", from: "    if (!mac2Ok(m, size, f)) {", to: "    if (false) {", tests: [WG_FLIPS] },
  { id: "wg-timestamp-replay", guarantee: "an initiation's timestamp must be newer than the peer's last one",
    file: "kernel/wg/noise.ts", from: "if (memory.compare(TS, S.peerTs(p), WG_TIMESTAMP) <= 0) return fail(Drop.WG_HANDSHAKE);", to: "", tests: [WG] },
  { id: "wg-endpoint-before-auth", guarantee: "the peer's endpoint moves only after a message authenticated",
    file: "kernel/wg/link.ts", from: "  if (!aeadOpen(c, S.kpRecv(k), NONCE, c, n - L.WGT_DATA, 0, 0)) { drop(Drop.WG_AUTH); return 0; }",
    to: "  memory.copy(S.peerEp(p), f, WG_EP_HDR);\n  if (!aeadOpen(c, S.kpRecv(k), NONCE, c, n - L.WGT_DATA, 0, 0)) { drop(Drop.WG_AUTH); return 0; }", tests: [WG] },
  { id: "wg-no-give-up", guarantee: "an unanswered handshake is given up after 20 initiations and its staged packets dropped",
    file: "kernel/wg/link.ts", from: "if (unchecked(T.attempts[p]) > MAX_TIMER_HANDSHAKES) {", to: "if (false) {", tests: [WG] },
  { id: "wg-no-rekey", guarantee: "the initiator of a session starts a new handshake when it sends on a session 120 s old",
    file: "kernel/wg/timers.ts", from: "now - unchecked(S.kpCreated[k]) >= P.REKEY_AFTER_TIME);", to: "false);", tests: [WG] },
  { id: "wg-psk-ignored", guarantee: "a peer's preshared key enters the handshake (IKpsk2): without it no session",
    file: "kernel/wg/noise.ts", from: "  kdf(CK, S.peerPsk(p), WG_KEY, CK, TAU, KEY);\n  hash2(H, H, WG_KEY, TAU, WG_KEY);\n  aeadSeal(",
    to: "  kdf(CK, S.ZERO32, WG_KEY, CK, TAU, KEY);\n  hash2(H, H, WG_KEY, TAU, WG_KEY);\n  aeadSeal(", tests: [WG] },
  { id: "wg-one-bucket-for-all", guarantee: "under load, handshakes are limited per source, so one flooding source cannot starve a peer elsewhere",
    file: "kernel/wg/cookie.ts", from: "let a = load<u64>(ep), b = isV4Mapped(ep) ? load<u64>(ep, 8) : 0;", to: "let a: u64 = 0, b: u64 = 0;",
    tests: ["tests/integration/wg_flood.test.ts"] },
  { id: "wg-next-not-promoted", guarantee: "a responder's session is confirmed by the initiator's first packet on it",
    file: "kernel/wg/link.ts", from: "    unchecked(S.kpCur[p] = k);\n", to: "", tests: [WG] },
  // Block filters (spec/kernel.md, "Block filters"; issue #15).
  { id: "filter-mask-byte-order", guarantee: "a filter's source prefix covers exactly the sources of its length (/48, /64, /127)",
    file: "kernel/net/filter.ts", from: "return bswap<u64>(U64.MAX_VALUE << <u64>(64 - bits));",
    to: "return U64.MAX_VALUE << <u64>(64 - bits);", tests: [FILTER] },
  { id: "filter-heap-left-only", guarantee: "filters run out in the order of their expiries, taken off a heap without a scan",
    file: "kernel/net/filterheap.ts", from: "if (c + 1 < heapSize && heapExpires(at(c + 1)) < heapExpires(at(c))) c++;",
    to: "", tests: [FILTER] },
  { id: "filter-not-asked", guarantee: "a received packet a filter matches is dropped as BLOCKED before it is routed",
    file: "kernel/net/input.ts", from: "if (filterActive != 0 && filterMatch(p, pktLen(pkt))) {",
    to: "if (false) {", tests: [MAIN_FILTER] },
  { id: "cert-issuer-flag-skipped", guarantee: "only a certificate with CERT_ISSUER may sign certificates below it",
    file: "kernel/cert/verify.ts", from: "if ((certFlags(c) & CERT_ISSUER) == 0) return", to: "if (false) return", tests: [CERT_VERIFY] },
  { id: "cert-validity-not-covered", guarantee: "a parent certificate covers its child's validity: a router cannot hand out more time than it was given",
    file: "kernel/cert/verify.ts", from: "certNotBefore(c) > certNotBefore(child) || certNotAfter(c) < certNotAfter(child)", to: "false",
    tests: [CERT_VERIFY] },
  { id: "cert-trust-any-prefix", guarantee: "a TRUST record's key is trusted only for addresses inside its prefix",
    file: "kernel/cert/state.ts", from: "keyEq(trustKey(i), key) && prefixMatch(addr, trustPrefix(i), trustPrefixLen(i))", to: "keyEq(trustKey(i), key)",
    tests: [CERT_VERIFY] },
  { id: "cert-host-not-first-come", guarantee: "a host's address stays certified to the first key while its certificate lasts",
    file: "kernel/cert/issue.ts", from: "if (!S.keyEq(certHolder(c), key) && t < certNotAfter(c)) return -Errno.EEXIST;", to: "",
    tests: [CERT_ISSUE] },
  { id: "cert-ts-issuer-flag-skipped", guarantee: "`persia cert verify` refuses a parent without CERT_ISSUER, as the kernel does",
    file: "loader/cert/chain.ts", from: "if ((c[i].flags & L.CERT_ISSUER) === 0) return", to: "if (false) return",
    tests: ["tests/kernel/cert.test.ts", "tests/cli/cert.test.ts"] },
  { id: "modsig-any-hash", guarantee: "a module passes only when the SHA-256 of its sections is a hash its signature covers: one changed bit is refused",
    file: "kernel/svc/modsig.ts", from: "let held = hc > 0 && memory.compare(hashes + <usize>((hc - 1) * 32), DIGEST, 32) == 0;", to: "let held = hc > 0;",
    tests: ["tests/kernel/modsig.test.ts"] },
  { id: "modsig-prefix-hash", guarantee: "only a hash set's last hash covers the module: one cut at a signature delimiter is refused",
    file: "kernel/svc/modsig.ts", from: "let held = hc > 0 && memory.compare(hashes + <usize>((hc - 1) * 32), DIGEST, 32) == 0;",
    to: "let held = false; for (let h = 0; h < hc; h++) if (memory.compare(hashes + <usize>(h * 32), DIGEST, 32) == 0) held = true;",
    tests: ["tests/kernel/modsig.test.ts"] },
  { id: "modsig-any-domain", guarantee: "a publisher key signs only for its domain and the names under it",
    file: "kernel/svc/publishers.ts", from: "  if (n < 0) return true;", to: "  return true;",
    tests: ["tests/kernel/modsig.test.ts"] },
  { id: "modsig-name-ignored", guarantee: "a LOAD's module is the one its SHA-256 names",
    file: "kernel/svc/modsig.ts", from: "if (memory.compare(FILE, hash, 32) != 0) return", to: "if (false) return",
    tests: ["tests/kernel/modsig.test.ts"] },
  { id: "modsig-load-unchecked", guarantee: "with domains:, every LOAD's module is checked before it starts",
    file: "kernel/ctl/ops.ts", from: "    let why = moduleCheck(id, body + C.LOAD_HASH, name, nl);", to: "    let why: string | null = null;",
    tests: ["tests/integration/modsig.test.ts"] },
  { id: "node-call-stopped-fault", guarantee: "a service the kernel stops or unloads from inside its own call cannot take the Node host down by faulting after",
    file: "hosts/node/services.ts", from: "      if (slot.view === null || this.slots[id] !== slot) return Fault.NONE;\n", to: "",
    tests: ["tests/integration/load_ids.test.ts"] },
  { id: "glue-call-stopped-fault", guarantee: "the image reports no fault (and no fuel) for a call during which the kernel stopped the service",
    file: "loader/image/glue.ts", from: "      ${stoppedInCall}\n", to: "",
    tests: ["tests/loader/image_glue.test.ts"] },
  { id: "load-inherits-cpu-use", guarantee: "a service LOADed into a freed id starts with none of its predecessor's CPU use for the period",
    file: "kernel/ctl/ops.ts", from: "  unchecked(cpuUsed[svc] = 0);\n", to: "",
    tests: ["tests/kernel/ctl/load-reuse.spec.ts"] },
  { id: "sched-call-stopped-fault", guarantee: "the kernel takes no fault, fuel or restart from a call during which it stopped or unloaded the service, whatever the host reports",
    file: "kernel/svc/sched.ts", from: "  if (unchecked(svcEpoch[svc]) != epoch) return;\n", to: "",
    tests: ["tests/kernel/svc/stop-inside.spec.ts"] },
  { id: "modsig-ts-any-hash", guarantee: "`persia verify` and the loader refuse a module whose sections are not the signed ones, as the kernel does",
    file: "loader/modsig/verify.ts", from: "const held = sets.filter((s) => s.hashes.length > 0 && Buffer.compare(s.hashes[s.hashes.length - 1], digest) === 0);",
    to: "const held = sets;", tests: ["tests/kernel/modsig.test.ts"] },
  { id: "metal-payload-unaligned", guarantee: "every section of a metal payload starts at a multiple of MTL_ALIGN",
    file: "loader/metal/payload.ts", from: "at = alignUp(here + s.bytes.length, MTL_ALIGN);", to: "at = here + s.bytes.length;",
    tests: ["tests/metal/payload.test.ts"] },
  { id: "metal-elf-no-kludge", guarantee: "persia image refuses a boot image without the Multiboot a.out kludge",
    file: "loader/metal/elf.ts", from: "if ((mb.flags & MB_AOUT_KLUDGE) === 0) refuse(", to: "if (false) refuse(",
    tests: ["tests/metal/elf.test.ts"] },
  { id: "metal-store-ids-shifted", guarantee: "a metal image numbers service ids as the Node host does: the services, then the store slots",
    file: "loader/metal/image.ts", from: "let next = plan.services.reduce((top, s) => Math.max(top, s.id + 1), 0);",
    to: "let next = plan.services.reduce((top, s) => Math.max(top, s.id + 1), 0) + 1;", tests: ["tests/metal/image.test.ts"] },
  { id: "virtio-pci-twice", guarantee: "each virtio-net device carries one NIC",
    file: "loader/manifest/virtio.ts", from: "  unique(places, ", to: "  if (false) unique(places, ",
    tests: ["tests/metal/manifest.test.ts"] },

  // USB devices (spec/abi.md "USB", spec/capabilities.md "USB"): the kernel checks every
  // transfer before the host sees it, trusts no descriptor, and never writes a completion
  // into memory that is no longer the submitter's.
  { id: "usb-direction-unchecked", guarantee: "an OUT transfer needs WRITE and an IN transfer READ",
    file: "kernel/svc/usb.ts", from: "if ((capRights(svc, cs) & need) != need) return -Errno.EPERM;",
    to: "if ((capRights(svc, cs) & (RIGHT_READ | RIGHT_WRITE)) == 0) return -Errno.EPERM;", tests: [USB] },
  { id: "usb-endpoint-unchecked", guarantee: "a transfer goes only to an endpoint of the active configuration",
    file: "kernel/svc/usb.ts", from: "if (e == 0) return -Errno.ENOENT;", to: "if (e == 0) e = UsbType.BULK + 1;", tests: [USB] },
  { id: "usb-host-only-request", guarantee: "a service may not SET_CONFIGURATION: only the host configures the device",
    file: "kernel/svc/usb.ts", from: "return r == REQ_SET_ADDRESS || r == REQ_SET_CONFIGURATION || r == REQ_SET_INTERFACE;", to: "return r == REQ_SET_ADDRESS || r == REQ_SET_INTERFACE;", tests: [USB] },
  { id: "usb-wlength-unchecked", guarantee: "a control transfer moves exactly wLength bytes, the length the kernel checked",
    file: "kernel/svc/usb.ts", from: "if (<u32>load<u16>(setup + 6) != len) return -Errno.EINVAL;", to: "", tests: [USB] },
  { id: "usb-in-buffer-unchecked", guarantee: "an IN transfer's buffer lies in service memory when it is submitted",
    file: "kernel/svc/usb.ts", from: "      if (host_svc_read(svc, <i32>(ptr + len - 1), <i32>REQ + UR_SIZE, 1) < 0 ||",
    to: "      if (false && host_svc_read(svc, <i32>(ptr + len - 1), <i32>REQ + UR_SIZE, 1) < 0 ||", tests: [USB] },
  { id: "usb-slot-free-unread", guarantee: "a transfer slot stays taken until its completion is read, so no completion is ever dropped",
    file: "kernel/svc/usb.ts", from: "  unchecked(xState[i] = DONE);", to: "  unchecked(xState[i] = FREE);", tests: [USB] },
  { id: "usb-babble-copied", guarantee: "an IN completion longer than the request writes nothing (EOVERFLOW)",
    file: "kernel/svc/usb.ts", from: "else if (len > unchecked(xLen[i])) { actual = 0; status = -Errno.EOVERFLOW; }",
    to: "else if (false) { actual = 0; status = -Errno.EOVERFLOW; }", tests: [USB] },
  { id: "usb-stop-keeps-transfers", guarantee: "a stopped instance's transfers are cancelled and their completions never reach the next instance",
    file: "kernel/svc/usb.ts", from: "if (unchecked(xState[i]) == BUSY) { unchecked(xState[i] = ORPHAN); host_usb_cancel(dev, x); }",
    to: "if (unchecked(xState[i]) == BUSY) { host_usb_cancel(dev, x); }", tests: [USB] },
  { id: "usb-revoke-keeps-transfers", guarantee: "revoking a USB capability cancels the transfers submitted with it",
    file: "kernel/svc/syscall.ts", from: "if (r == 0) usbRevoked(svc);", to: "", tests: [USB] },
  { id: "usb-revoke-keeps-events", guarantee: "revoking a USB capability drops the events that name it (and frees their slots)",
    file: "kernel/svc/usb.ts", from: "    dropEvents(dev, false, svc);", to: "", tests: [USB] },
  { id: "usb-plug-events-unbounded", guarantee: "ATTACH/DETACH churn never crowds a completion out of a device's queue",
    file: "kernel/svc/usb.ts", from: "if (unchecked(qPlug[dev]) >= PLUG_MAX)", to: "if (false)", tests: [USB] },
  { id: "usb-desc-endpoint-twice", guarantee: "descriptors that give an endpoint twice in alternate setting 0 are refused",
    file: "kernel/svc/usb.ts", from: "if (unchecked(eps[k]) != 0) return refuse(", to: "if (false) return refuse(", tests: [USB] },
  { id: "usb-desc-past-total", guarantee: "no descriptor runs past wTotalLength",
    file: "kernel/svc/usb.ts", from: "if (bl > total - off) return refuse(", to: "if (false) return refuse(", tests: [USB] },
  { id: "usb-granted-twice", guarantee: "a USB device is granted to at most one service",
    file: "kernel/boot.ts", from: "if (usbHolder(d) >= 0) return bad(", to: "if (false) return bad(", tests: [USB_BOOT] },
  { id: "usb-event-no-wake", guarantee: "a USB event wakes its service",
    file: "kernel/svc/sched.ts", from: "if (queueDepth(svc) == 0 && !due && !(usbAny && usbPending(svc))) {",
    to: "if (queueDepth(svc) == 0 && !due) {", tests: [USB] },
  { id: "usb-detach-keeps-inflight", guarantee: "an unplug completes every transfer in flight with ENODEV",
    file: "kernel/svc/usb.ts", from: "if (st == BUSY) complete(dev, i, -Errno.ENODEV, 0);", to: "if (false) complete(dev, i, -Errno.ENODEV, 0);", tests: [USB] },
  { id: "usb-ep0-command-read-only", guarantee: "on the default pipe only a standard GET is a read: any other request (a vendor command with bit 7 and no data too) needs WRITE",
    file: "kernel/svc/usb.ts", from: "let need = ep == 0 ? ep0Rights(setup) : dirIn ? RIGHT_READ : RIGHT_WRITE;",
    to: "let need = dirIn ? RIGHT_READ : RIGHT_WRITE;", tests: [USB, USB_HOSTILE] },
  { id: "usb-ep0-in-without-read", guarantee: "a request on the default pipe with an IN data stage needs READ as well as WRITE",
    file: "kernel/svc/usb.ts", from: "return dataIn ? RIGHT_READ | RIGHT_WRITE : RIGHT_WRITE;", to: "return RIGHT_WRITE;", tests: [USB] },
  { id: "usb-ep0-class-get-read", guarantee: "a class or vendor request numbered like a standard GET is not a read",
    file: "kernel/svc/usb.ts", from: "if ((rt & USB_DIR_IN) != 0 && (rt & RT_TYPE_MASK) == 0 && (r == REQ_GET_STATUS", to: "if ((rt & USB_DIR_IN) != 0 && (r == REQ_GET_STATUS", tests: [USB] },
  { id: "usb-hub-device-granted", guarantee: "a hub (bDeviceClass 9) is refused at attach: its ports reach other devices",
    file: "kernel/svc/usb.ts", from: "if (load<u8>(p + DEV_CLASS) == CLASS_HUB) return refuse(", to: "if (false) return refuse(", tests: [USB] },
  { id: "usb-hub-interface-granted", guarantee: "a device with a hub interface (bInterfaceClass 9) is refused at attach",
    file: "kernel/svc/usb.ts", from: "if (load<u8>(d + IF_CLASS) == CLASS_HUB) return refuse(", to: "if (false) return refuse(", tests: [USB] },
  { id: "usb-attach-present-replaces", guarantee: "k_usb_attach on a present device is -EEXIST and changes nothing (its transfers stay in flight)",
    file: "kernel/svc/usb.ts", from: "if (unchecked(present[dev])) return -Errno.EEXIST;", to: "if (unchecked(present[dev])) unplug(dev);", tests: [USB] },
  { id: "kv-never-flushes", guarantee: "kv answers OK only after its write is flushed (spec/services.md kv)",
    file: "services/kv/copies.ts", from: "  return flush ? sys_disk_flush(h(c)) : 0;", to: "  return 0;", tests: [KV_POWERCUT] },
  { id: "kv-put-in-place", guarantee: "a PUT never overwrites the record it replaces: a cut write keeps the old value",
    file: "services/kv/store.ts", from: "  if (!copies.write(reusable, BUF)) return reopen(Result.IO);",
    to: "  if (winner != 0) { reusable = winner; winner = 0; }\n  if (!copies.write(reusable, BUF)) return reopen(Result.IO);", tests: [KV_POWERCUT] },
  { id: "kv-zero-beats-sealed", guarantee: "a mirror's sealed slot beats a zero one (a written slot never becomes all zero again)",
    file: "services/kv/copies.ts", from: "if (empty < 0 && zero(p)) { empty = c; got = WHOLE; continue; }",
    to: "if (empty < 0 && zero(p)) return WHOLE;", tests: [KV_MIRROR] },
  { id: "kv-divergence-merged", guarantee: "copies that each went on alone are refused, never merged",
    file: "services/kv/copies.ts", from: "hgen(o) > base &&", to: "false &&", tests: [KV_MIRROR] },
  { id: "lpm-no-sweep", guarantee: "a wrapped superblock generation never passes a stale direct-table slot for a fresh one",
    file: "kernel/net/lpm.ts", from: "  refill((s << SUB_BITS) | (<i32>g & ((1 << SUB_BITS) - 1)));", to: "", tests: [LPM] },
  { id: "lpm-touch-short-only", guarantee: "longest-prefix match: a node longer than 20 bits made or freed refills its block's slot",
    file: "kernel/net/lpm.ts", from: "if (n != ROOT && l < dirLen)", to: "if (n != ROOT && l <= DIR_BITS && l < dirLen)", tests: [LPM] },
  { id: "lpm-eager-refill", guarantee: "an update refills at most 512 direct-table slots (short prefixes step superblock generations)",
    file: "kernel/net/lpm.ts", from: "if (l <= GEN_BITS) {", to: "if (l <= 0) {", tests: [LPM] },
  { id: "lpm-stale-slot-used", guarantee: "longest-prefix match: a lookup refills a slot its superblock's generation left behind",
    file: "kernel/net/lpm.ts", from: "if (<u16>(s >> 48) != unchecked(gens[b >> SUB_BITS])) s = refill(b);", to: "", tests: [LPM] },
];

/** A quick fixed set for `--sample` (one or more per kind of guarantee). */
export const SAMPLE: string[] = [
  "egress-max-fast", "cpu-max-wide", "cap-rights-ignored", "derive-wider", "disk-write-with-read", "send-without-send-right", "rx-spoofed-own-source",
  "ip-length", "hop-limit", "icmp-checksum", "ctl-replay", "ctl-signature", "icmp-error-rate", "fuel-loop-charge",
  "capture-filter-ignored", "aead-tag-ignored", "cert-issuer-flag-skipped", "modsig-any-hash",
  "usb-direction-unchecked", "usb-stop-keeps-transfers",
];
