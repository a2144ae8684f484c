// loader/ip6.ts: RFC 4291 text forms parse to the right bytes, RFC 5952 canonical text
// comes back (section 4's rules one by one), prefixes with host bits set or bad lengths
// are refused with the fix in the message, containment, MAC text and EUI-64.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as ip6 from "../../loader/ip6";
import { seeded } from "../seeded";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("parses the RFC 4291 forms to bytes", () => {
  assert.equal(hex(ip6.parseAddr("2001:db8:0:0:8:800:200c:417a")), "20010db80000000000080800200c417a");
  assert.equal(hex(ip6.parseAddr("2001:DB8::8:800:200C:417A")), "20010db80000000000080800200c417a");
  assert.equal(hex(ip6.parseAddr("::")), "00".repeat(16));
  assert.equal(hex(ip6.parseAddr("::1")), "00".repeat(15) + "01");
  assert.equal(hex(ip6.parseAddr("ff01::")), "ff01" + "00".repeat(14));
  assert.equal(hex(ip6.parseAddr("1:2:3:4:5:6:7::")), "0001000200030004000500060007" + "0000");
  assert.equal(hex(ip6.parseAddr("::2:3:4:5:6:7:8")), "0000000200030004000500060007" + "0008");
  assert.equal(hex(ip6.parseAddr("fd00:0:0:0:0:0:0:00ff")), "fd00" + "00".repeat(13) + "ff");
});

test("formats canonical text by RFC 5952 section 4", () => {
  const cases: [string, string][] = [
    ["2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"],     // 4.1 leading zeros, 4.2.1 longest run
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],                 // 4.2.2 a single zero group stays
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],                          // 4.2.3 the longest run wins
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],                    // 4.2.3 on a tie, the first
    ["2001:DB8::AB", "2001:db8::ab"],                                 // 4.3 lower case
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["fe80:0:0:0:200:5aff:feb2:1", "fe80::200:5aff:feb2:1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["::ffff:c000:201", "::ffff:c000:201"],                           // mapped addresses stay hex
  ];
  for (const [input, canonical] of cases) {
    assert.equal(ip6.formatAddr(ip6.parseAddr(input)), canonical, input);
    assert.equal(ip6.formatAddr(ip6.parseAddr(canonical)), canonical, `${canonical} round trip`);
  }
});

test("refuses malformed text with a message that says why", () => {
  const cases: [string, RegExp][] = [
    ["", /is empty/],
    ["1.2.3.4", /dotted IPv4 form; PersiaOS is IPv6 only/],
    ["::ffff:192.0.2.1", /dotted IPv4 form/],
    ["fe80::1%eth0", /has a zone id \(%\.\.\.\); write the address alone/],
    ["1::2::3", /has "::" more than once/],
    ["12345::", /group "12345", which is not 1 to 4 hex digits/],
    ["g::1", /group "g"/],
    ["1:2:3:4:5:6:7", /has 7 groups; an IPv6 address has 8/],
    ["1:2:3:4:5:6:7:8:9", /has 9 groups/],
    ["1:2:3:4::5:6:7:8", /has 8 groups besides "::"; with "::" at most 7/],
    [":1::", /empty group/],
    ["1:2:3:4:5:6:7:", /empty group/],
    [":::", /empty group/],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => ip6.parseAddr(text), (e: Error) => e instanceof ip6.AddressError && why.test(e.message), text);
  }
});

test("prefixes parse, format, and refuse host bits and bad lengths", () => {
  const p = ip6.parsePrefix("fd00:5ab2:1::/64");
  assert.equal(p.len, 64);
  assert.equal(hex(p.addr), "fd005ab20001" + "00".repeat(10));
  assert.equal(ip6.formatPrefix(p), "fd00:5ab2:1::/64");
  assert.equal(ip6.formatPrefix(ip6.parsePrefix("::/0")), "::/0");
  assert.equal(ip6.formatPrefix(ip6.parsePrefix("fd00::1/128")), "fd00::1/128");
  assert.equal(ip6.formatPrefix(ip6.parsePrefix("fd00:8000::/17")), "fd00:8000::/17");
  assert.throws(() => ip6.parsePrefix("fd00::1/64"),
    { message: `"fd00::1/64" has host bits set after the first 64 bits; the prefix is fd00::/64` });
  assert.throws(() => ip6.parsePrefix("fd00:c000::/17"), /host bits set after the first 17 bits; the prefix is fd00:8000::\/17/);
  assert.throws(() => ip6.parsePrefix("fd00::/129"), /prefix length "129"; write a whole number from 0 to 128/);
  assert.throws(() => ip6.parsePrefix("fd00::/064"), /prefix length "064"/);
  assert.throws(() => ip6.parsePrefix("fd00::/"), /prefix length ""/);
  assert.throws(() => ip6.parsePrefix("fd00::"), /is not a prefix; write an address, "\/" and a length/);
});

test("prefix containment looks at the first len bits only", () => {
  const p = ip6.parsePrefix("fd00:5ab2:1::/48");
  assert.equal(ip6.prefixContains(p, ip6.parseAddr("fd00:5ab2:1:ffff::7")), true);
  assert.equal(ip6.prefixContains(p, ip6.parseAddr("fd00:5ab2:2::7")), false);
  assert.equal(ip6.prefixContains(ip6.parsePrefix("::/0"), ip6.parseAddr("2001:db8::1")), true);
  const odd = ip6.parsePrefix("fd00:8000::/17");
  assert.equal(ip6.prefixContains(odd, ip6.parseAddr("fd00:ffff::1")), true);
  assert.equal(ip6.prefixContains(odd, ip6.parseAddr("fd00:7fff::1")), false);
  assert.equal(ip6.prefixContains(ip6.parsePrefix("fd00::1/128"), ip6.parseAddr("fd00::1")), true);
  assert.equal(ip6.prefixContains(ip6.parsePrefix("fd00::1/128"), ip6.parseAddr("fd00::2")), false);
});

test("address classes", () => {
  const c = (s: string) => {
    const a = ip6.parseAddr(s);
    return [ip6.isUnspecified(a), ip6.isLoopback(a), ip6.isMulticast(a), ip6.isLinkLocal(a), ip6.isIpv4Mapped(a)].map(Number).join("");
  };
  assert.equal(c("::"), "10000");
  assert.equal(c("::1"), "01000");
  assert.equal(c("ff02::1"), "00100");
  assert.equal(c("fe80::1"), "00010");
  assert.equal(c("febf::1"), "00010");
  assert.equal(c("fec0::1"), "00000");
  assert.equal(c("::ffff:c000:201"), "00001");
  assert.equal(c("fd00::1"), "00000");
});

test("MACs parse and format; EUI-64 and link-local follow RFC 4291 appendix A", () => {
  const mac = ip6.parseMac("02:00:5A:b2:00:01");
  assert.equal(hex(mac), "02005ab20001");
  assert.equal(ip6.formatMac(mac), "02:00:5a:b2:00:01");
  assert.equal(hex(ip6.eui64FromMac(mac)), "00005afffeb20001");
  assert.equal(ip6.formatAddr(ip6.linkLocalFromMac(mac)), "fe80::5aff:feb2:1");
  assert.equal(ip6.formatAddr(ip6.addressFromMac(ip6.parseAddr("fd00:5ab2:1:2:ffff::"), mac)), "fd00:5ab2:1:2:0:5aff:feb2:1", "only the prefix's first 64 bits count");
  assert.equal(ip6.formatAddr(ip6.linkLocalFromMac(ip6.parseMac("00:1b:21:0a:0b:0c"))), "fe80::21b:21ff:fe0a:b0c");
  for (const bad of ["02:00:5a:b2:00", "02-00-5a-b2-00-01", "02:00:5a:b2:00:1", "02:00:5a:b2:00:0g", ""]) {
    assert.throws(() => ip6.parseMac(bad), /is not a MAC address; write six two-digit hex bytes separated by ":"/, bad);
  }
});

/** The WHATWG URL parser's reading of IPv6 text (an independent RFC 4291 parser), as
 *  RFC 5952 text, or null if it refuses it. */
function urlReading(text: string): string | null {
  try {
    const host = new URL(`http://[${text}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return null;
  }
}

test("parseAddr agrees with the URL parser on 20,000 seeded texts, valid and broken", () => {
  const { int } = seeded("ip6 texts", "IP6_SEED");
  const alphabet = "0123456789abcdefABCDEF:";
  let accepted = 0;
  for (let n = 0; n < 20_000; n++) {
    let text: string;
    if (n % 2 === 0) {
      // a valid address, in one of its spellings, then perhaps broken in one place
      const a = Uint8Array.from({ length: 16 }, () => (int(3) === 0 ? 0 : int(256)));
      const groups = Array.from({ length: 8 }, (_, i) => ((a[2 * i] << 8) | a[2 * i + 1]).toString(16).padStart(int(5), "0"));
      text = int(2) === 0 ? groups.join(":") : ip6.formatAddr(a);
      if (int(4) === 0) text = text.toUpperCase();
      if (int(2) === 0) {
        const at = int(text.length + 1);
        const edit = int(3);
        text = edit === 0 ? text.slice(0, at) + text.slice(at + 1)
          : edit === 1 ? text.slice(0, at) + alphabet[int(alphabet.length)] + text.slice(at)
          : text.slice(0, at) + ":" + text.slice(at);
      }
    } else {
      text = Array.from({ length: int(12) }, () => alphabet[int(alphabet.length)]).join("");
    }
    const want = urlReading(text);
    let got: string | null;
    try {
      got = ip6.formatAddr(ip6.parseAddr(text));
    } catch (e) {
      assert.ok(e instanceof ip6.AddressError, `${JSON.stringify(text)}: ${e}`);
      got = null;
    }
    assert.equal(got, want, `parseAddr(${JSON.stringify(text)})`);
    if (got !== null) accepted++;
  }
  assert.ok(accepted > 5_000, `only ${accepted} of the texts were addresses`);
});
