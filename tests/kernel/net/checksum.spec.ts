// wire/checksum.ts: the Internet checksum over the IPv6 pseudo-header and an
// ICMPv6 message. The expected values were computed outside this project (Python,
// RFC 1071 over pseudo-header + message) for these exact bytes.
import { l4Checksum } from "../../../wire/checksum";
import { ip6, put } from "../frames";

const P: usize = memory.data(256, 16);

/** Echo request fd00:1::aa → fd00:1::ff:fe00:1, id 0x1234, seq 1, data "ping" (+ extra). */
function echo(data: string): i32 {
  memory.fill(P, 0, 256);
  let n = put(P + 40, "80 00 0000 1234 0001 " + data);
  ip6(P, n, 58, 64, "fd00:1::aa", "fd00:1::ff:fe00:1");
  return n;
}

describe("l4Checksum", () => {
  it("computes 0x9504 for a 12-byte echo request with its checksum field zero", () => {
    let n = echo("70 69 6e 67");
    expect(l4Checksum(P, 40, n, 58)).toBe(0x9504);
  });
  it("gives 0 over the same message with 0x9504 filled in", () => {
    let n = echo("70 69 6e 67");
    put(P + 42, "95 04");
    expect(l4Checksum(P, 40, n, 58)).toBe(0);
  });
  it("pads an odd-length message with a zero byte: 0x1d03 for data \"pingx\"", () => {
    let n = echo("70 69 6e 67 78");
    expect(n).toBe(13);
    expect(l4Checksum(P, 40, n, 58)).toBe(0x1d03);
  });
  it("changes when one bit of the source address changes", () => {
    let n = echo("70 69 6e 67");
    put(P + 23, "ab");
    expect(l4Checksum(P, 40, n, 58)).not.toBe(0x9504);
  });
});
