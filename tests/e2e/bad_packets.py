# Bad neighbor discovery and malformed IPv6, sent by scapy from a Linux host to the
# PersiaOS router (tests/e2e/router.test.ts). Every packet must be counted and dropped by
# the node; none may crash it. Arguments: interface, router MAC, router link-local, a
# service address on the link. Run with Debian's python3 (python3-scapy).
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr, \
    ICMPv6EchoRequest, IPv6ExtHdrDestOpt, sendp, get_if_hwaddr

iface, rmac, rll, svc = sys.argv[1:5]
me = get_if_hwaddr(iface)
mine = "fe80::bad:1"

frames = [
    # Neighbor solicitation with hop limit 64 (RFC 4861 §7.1.1: must be 255).
    Ether(src=me, dst=rmac) / IPv6(src=mine, dst=rll, hlim=64) / ICMPv6ND_NS(tgt=rll) / ICMPv6NDOptSrcLLAddr(lladdr=me),
    # Router advertisement from a global source (§6.1.2: must be link-local).
    Ether(src=me, dst="33:33:00:00:00:01") / IPv6(src="2001:db8::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA(),
    # Neighbor solicitation for a multicast target.
    Ether(src=me, dst=rmac) / IPv6(src=mine, dst=rll, hlim=255) / ICMPv6ND_NS(tgt="ff02::1"),
    # Neighbor solicitation with a wrong checksum.
    Ether(src=me, dst=rmac) / IPv6(src=mine, dst=rll, hlim=255) / ICMPv6ND_NS(tgt=rll, cksum=0x1234) / ICMPv6NDOptSrcLLAddr(lladdr=me),
]
good = Ether(src=me, dst=rmac) / IPv6(src=mine, dst=svc) / ICMPv6EchoRequest(data=b"x" * 16)
raw = bytes(good)
# Truncated: an Ethernet header and 20 bytes of IPv6 header.
frames.append(Ether(raw[:14 + 20]))
# Payload length larger than the bytes that follow.
bad_len = bytearray(raw)
bad_len[14 + 4:14 + 6] = (1000).to_bytes(2, "big")
frames.append(Ether(bytes(bad_len)))
# An extension-header loop: ten destination options headers in a row.
chain = IPv6ExtHdrDestOpt()
for _ in range(9):
    chain = chain / IPv6ExtHdrDestOpt()
frames.append(Ether(src=me, dst=rmac) / IPv6(src=mine, dst=svc) / chain / ICMPv6EchoRequest())
for f in frames:
    sendp(f, iface=iface, verbose=False)
print("sent", len(frames))
