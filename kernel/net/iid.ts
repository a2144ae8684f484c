// Stable interface identifiers for addresses formed in learned prefixes (RFC 7217 §5):
// IID = the first 64 bits of F(Prefix, Net_Iface, DAD_Counter, secret_key), with SHA-512 as
// F (the RFC asks for a cryptographic hash and names SHA-256 as one choice; the kernel has
// SHA-512 already) and no Network_ID. Net_Iface is the service's domain for a service's
// address, so it survives restarts and moves with the domain, or the NIC's MAC for the
// node's own. The input, byte for byte: prefix[0..8) ‖ Net_Iface ‖ DAD_Counter (1 byte) ‖
// secret_key (16 bytes). An identifier RFC 5453 reserves is skipped by counting on.
// Called by net/slaac.ts; spec/manifest.md "The client role" states the same.
import { sha512 } from "../crypto/sha512";
import { NAME_MAX } from "../../abi/manifest";

export const SECRET_LEN = 16;
const IN: usize = memory.data(8 + NAME_MAX + 1 + SECRET_LEN, 8);
const OUT: usize = memory.data(64, 8);

/** Is the 64-bit identifier (big-endian value) one RFC 5453 reserves: all zeros (the
 *  subnet-router anycast), the proxy-mobile range 0200:5EFF:FE00:0000–5212, or the
 *  subnet anycast range FDFF:FFFF:FFFF:FF80–FFFF? */
export function iidReserved(v: u64): bool {
  if (v == 0) return true;
  if (v >= 0x02005efffe000000 && v <= 0x02005efffe005212) return true;
  return v >= 0xfdffffffffffff80 && v <= 0xfdffffffffffffff;
}

/** Write prefix[0..8) and the identifier for (Net_Iface at ni, n bytes; counter; secret)
 *  into out[0..16). Returns the DAD_Counter used: counter, or more if an identifier was
 *  reserved. */
export function stableAddress(out: usize, prefix: usize, ni: usize, n: i32, counter: i32, secret: usize): i32 {
  let c = counter;
  while (true) {
    store<u64>(IN, load<u64>(prefix));
    memory.copy(IN + 8, ni, <usize>n);
    store<u8>(IN + 8 + <usize>n, <u8>c);
    memory.copy(IN + 9 + <usize>n, secret, SECRET_LEN);
    sha512(IN, 9 + n + SECRET_LEN, OUT);
    if (!iidReserved(bswap<u64>(load<u64>(OUT)))) break;
    c++;
  }
  store<u64>(out, load<u64>(prefix));
  store<u64>(out, load<u64>(OUT), 8);
  return c;
}
