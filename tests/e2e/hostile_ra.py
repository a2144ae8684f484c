# Hostile router advertisements, sent by scapy from a Linux host to a PersiaOS client node
# (tests/e2e/client_hostile.test.ts). None may change what the node learned from its real
# router: the invalid ones (RFC 4861 §6.1.2) are dropped, the valid ones that ask for
# something a host must refuse (RFC 4862 §5.5.3) change nothing.
# Arguments: interface, the prefix the node learned (e.g. fd00:c1::), and either "send" or
# a pcap file to write the frames to instead (the test checks them with tshark).
# Run with Debian's python3 (python3-scapy).
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, \
    Raw, sendp, wrpcap, get_if_hwaddr
from scapy.layers.inet6 import in6_chksum

iface, learned, where = sys.argv[1:4]
me = get_if_hwaddr(iface)
ALL_NODES = "ff02::1"


def ra(src, hlim=255, lifetime=1800):
    return Ether(src=me, dst="33:33:00:00:00:01") / IPv6(src=src, dst=ALL_NODES, hlim=hlim) / \
        ICMPv6ND_RA(routerlifetime=lifetime)


def pio(prefix, length=64, valid=86400, preferred=14400, on_link=1):
    return ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=length, L=on_link, A=1,
                                 validlifetime=valid, preferredlifetime=preferred)


def truncated(src, prefix):
    """An RA whose prefix option says 32 bytes and has 20: the ICMPv6 message ends inside
    it, with a checksum that is right for the bytes sent (only the length is wrong)."""
    icmp = bytearray(bytes(ICMPv6ND_RA(routerlifetime=1800, cksum=0) / pio(prefix)))
    icmp = icmp[:16 + 20]
    ip = IPv6(src=src, dst=ALL_NODES, hlim=255, nh=58)
    ck = in6_chksum(58, ip, bytes(icmp))
    icmp[2:4] = ck.to_bytes(2, "big")
    return Ether(src=me, dst="33:33:00:00:00:01") / ip / Raw(bytes(icmp))


frames = [
    # 1. Hop limit 64: not from this link (§6.1.2 wants 255).
    ra("fe80::bad:1", hlim=64) / pio("fd00:bad1::") / ICMPv6NDOptSrcLLAddr(lladdr=me),
    # 2. A global source address (§6.1.2 wants link-local).
    ra("2001:db8::1") / pio("fd00:bad2::"),
    # 3. A prefix option cut short: ICMPv6 length less than the options say.
    truncated("fe80::bad:3", "fd00:bad3::"),
    # 4. An option of length 0 after a good prefix (§4.6: discard the whole packet).
    ra("fe80::bad:4") / pio("fd00:bad4::") / Raw(b"\x01\x00" + b"\x00" * 6),
    # 5. A /48 with the A flag: no SLAAC outside a /64 (RFC 4862 §5.5.3 d).
    ra("fe80::bad:5", lifetime=0) / pio("fd00:bad5::", length=48, on_link=0),
    # 6. Router lifetime 0 from a router that is not the node's: its router stays.
    ra("fe80::bad:6", lifetime=0),
    # 7. Valid lifetime 0 for the learned prefix: the two-hour rule keeps the address
    #    (RFC 4862 §5.5.3 e); it is deprecated at most until the real router's next RA.
    ra("fe80::bad:7", lifetime=0) / pio(learned, valid=0, preferred=0),
]
if where == "send":
    for f in frames:
        sendp(f, iface=iface, verbose=False)
else:
    wrpcap(where, frames)
print("hostile RAs", len(frames))
