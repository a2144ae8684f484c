// kernel/svc/modsig.ts from literal bytes: a 14-byte module (one function type) signed by
// `wasmsign2 sign` 0.2.8 with the key of seed 01×32 (RFC 8032 keys as tweetnacl derives
// them): it passes for the key's domain and names under it; one flipped bit in its hash,
// its signature or its code, another domain, another name, or a signature section cut or
// lengthened are each refused with their reason. tests/kernel/modsig.test.ts holds the same
// code against the loader's and wasmsign2 on many more modules.
import { modsigVerify } from "../../../kernel/svc/modsig";
import { publisherAdd, publishersReset } from "../../../kernel/svc/publishers";
import { sha256 } from "../../../kernel/crypto/sha256";
import { hexBuf } from "../frames";

// wasmsign2 sign -k <0x81 ‖ seed 01×32 ‖ public key> -i tiny.wasm, tiny.wasm = \0asm 1 0 0 0, type section [() -> ()]
const SIGNED =
  "0061736d01000000" +                     // \0asm, version 1
  "00" + "75" + "09" + "7369676e6174757265" + // custom section, 117 bytes, name "signature"
  "010101" +                               // spec version 1, a WebAssembly module, SHA-256
  "01" + "66" +                            // one signed hash set of 102 bytes:
  "01" + "5f25e6a5674a70ef44d90473c43ae014a542ccb424724dfabc21c61165616744" + //   one hash: the type section's
  "01" + "43" + "00" + "01" + "40" +       //   one signature of 67 bytes: no key id, ed25519, 64 bytes
  "cbff43f43e6b3c10c2ba70ac8f5cb13cdebe7b1bcc45596cb10822dbfdaab04fc00aefde1a8abe6ecd1b7625ad207759a86c76cb457f6dbc059fcf0a67012201" +
  "01" + "04" + "01600000";                // type section, 4 bytes: one type, () -> ()
const KEY = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const SIZE = 133;

const MOD: usize = memory.data(256, 16);
const NAME: usize = memory.data(64, 16);
const HASH: usize = memory.data(32, 16);

function readMod(src: i32, off: i32, dst: usize, len: i32): i32 {
  let n = min(len, src - off);
  if (n > 0) memory.copy(dst, MOD + <usize>off, <usize>n);
  return src;
}

function text(s: string): i32 {
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, NAME);
  return String.UTF8.byteLength(s);
}

function fresh(): void {
  memory.copy(MOD, hexBuf(SIGNED), SIZE);
  publishersReset();
  let dl = text("sabz.city");
  publisherAdd(hexBuf(KEY), NAME, dl);
}

function verdict(size: i32, domain: string): string {
  let r = modsigVerify(readMod, size, size, 0, NAME, text(domain));
  return r === null ? "passes" : r as string;
}

describe("modsig", () => {
  it("the literal is the 133 bytes wasmsign2 wrote", () => {
    expect(SIGNED.length).toBe(2 * SIZE);
  });
  it("a module wasmsign2 signed passes for the key's domain and a name under it, and by its SHA-256", () => {
    fresh();
    expect(verdict(SIZE, "sabz.city")).toBe("passes");
    expect(verdict(SIZE, "echo.sabz.city")).toBe("passes");
    sha256(MOD, SIZE, HASH);
    expect(modsigVerify(readMod, SIZE, SIZE, HASH, NAME, text("echo.sabz.city")) === null).toBe(true);
    store<u8>(HASH, load<u8>(HASH) ^ 1);
    expect(modsigVerify(readMod, SIZE, SIZE, HASH, NAME, text("echo.sabz.city")) as string).toBe("its SHA-256 is not the one it is named by");
  });
  it("another domain, or a name that only ends like it, has no publisher", () => {
    fresh();
    expect(verdict(SIZE, "xsabz.city")).toBe("no publisher key in the manifest's domains: signs for its domain");
    expect(verdict(SIZE, "city")).toBe("no publisher key in the manifest's domains: signs for its domain");
  });
  it("a flipped bit in the code, the signed hash or the signature is refused", () => {
    fresh(); store<u8>(MOD + 132, load<u8>(MOD + 132) ^ 1);
    expect(verdict(SIZE, "sabz.city")).toBe("its sections do not match the hashes its signature covers: it was changed after it was signed, or only a part of it was signed");
    fresh(); store<u8>(MOD + 30, load<u8>(MOD + 30) ^ 0x80);
    expect(verdict(SIZE, "sabz.city")).toBe("its sections do not match the hashes its signature covers: it was changed after it was signed, or only a part of it was signed");
    fresh(); store<u8>(MOD + 80, load<u8>(MOD + 80) ^ 1);
    expect(verdict(SIZE, "sabz.city")).toBe("no signature on it verifies with a publisher key the node trusts for its domain");
  });
  it("a cut module, bad framing and an unknown version are refused with their reasons, never a trap", () => {
    fresh();
    expect(verdict(7, "sabz.city")).toBe("it is shorter than a WebAssembly header");
    expect(verdict(20, "sabz.city")).toBe("its first section runs past the end of the module");
    store<u8>(MOD + 9, 0x74);              // the section one byte shorter: the last signature piece runs past it
    expect(verdict(SIZE, "sabz.city")).toBe("its signature section is malformed");
    fresh(); store<u8>(MOD + 20, 2);       // spec version 2
    expect(verdict(SIZE, "sabz.city")).toBe("its signature section is of a format version other than 1");
    fresh(); store<u8>(MOD + 8, 1);        // the first section is not a custom section
    expect(verdict(SIZE, "sabz.city")).toBe("it is not signed: its first section is not a custom section named signature");
    fresh(); store<u8>(MOD + 12, 0x78);    // "sxgnature"
    expect(verdict(SIZE, "sabz.city")).toBe("it is not signed: its first section is not a custom section named signature");
  });
});
