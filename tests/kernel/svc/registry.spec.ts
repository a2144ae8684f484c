// kernel/svc/registry.ts: the domain-name rule (RFC 1035 §2.3.1 labels, lower case, 1..63
// bytes a label, at most 253 bytes, two labels at least, no trailing dot) and lookups by
// name and by address.
import { SVC_MAX, ADDR_PER_SVC } from "../../../kernel/param";
import { validDomain, svcAdd, svcByName, svcAddAddr, svcByAddr, svcValid } from "../../../kernel/svc/registry";
import { addr } from "../frames";

const NAME: usize = memory.data(512, 8);

function name(s: string): i32 {
  for (let i = 0; i < s.length; i++) store<u8>(NAME + <usize>i, <u8>s.charCodeAt(i));
  return s.length;
}
function valid(s: string): bool { return validDomain(NAME, name(s)); }
function label(n: i32): string { return "a".repeat(n); }

describe("validDomain", () => {
  it("accepts lower-case names of letters, digits and inner hyphens", () => {
    expect(valid("echo.test")).toBe(true);
    expect(valid("kv-1.node-2.example")).toBe(true);
    expect(valid("0a.b9")).toBe(true);
    expect(valid("a.b")).toBe(true);
  });
  it("refuses upper case", () => {
    expect(valid("Echo.test")).toBe(false);
    expect(valid("echo.TEST")).toBe(false);
  });
  it("refuses a label that starts or ends with a hyphen", () => {
    expect(valid("-echo.test")).toBe(false);
    expect(valid("echo-.test")).toBe(false);
    expect(valid("echo.-test")).toBe(false);
    expect(valid("echo.test-")).toBe(false);
  });
  it("refuses an empty label", () => {
    expect(valid("echo..test")).toBe(false);
    expect(valid(".echo.test")).toBe(false);
  });
  it("accepts a 63-byte label and refuses a 64-byte one", () => {
    expect(valid(label(63) + ".test")).toBe(true);
    expect(valid(label(64) + ".test")).toBe(false);
    expect(valid("test." + label(64))).toBe(false);
  });
  it("accepts 253 bytes and refuses 254", () => {
    let n253 = label(63) + "." + label(63) + "." + label(63) + "." + label(61);
    expect(n253.length).toBe(253);
    expect(valid(n253)).toBe(true);
    let n254 = label(63) + "." + label(63) + "." + label(63) + "." + label(62);
    expect(valid(n254)).toBe(false);
  });
  it("refuses a single label", () => {
    expect(valid("localhost")).toBe(false);
    expect(valid("ab")).toBe(false);
  });
  it("refuses a trailing dot", () => {
    expect(valid("echo.test.")).toBe(false);
  });
  it("refuses other characters", () => {
    expect(valid("echo_1.test")).toBe(false);
    expect(valid("echo 1.test")).toBe(false);
    expect(valid("")).toBe(false);
  });
});

describe("service lookups", () => {
  it("finds a service by its exact name only", () => {
    expect(svcByName(NAME, name("kv.test"))).toBe(-1);
    svcAdd(3, NAME, name("kv.test"), 1, 4, 2);
    svcAdd(5, NAME, name("kv.test.example"), 1, 4, 2);
    expect(svcValid(3)).toBe(true);
    expect(svcValid(4)).toBe(false);
    expect(svcValid(SVC_MAX)).toBe(false);
    expect(svcByName(NAME, name("kv.test"))).toBe(3);
    expect(svcByName(NAME, name("kv.test.example"))).toBe(5);
    expect(svcByName(NAME, name("kv.tes"))).toBe(-1);
    expect(svcByName(NAME, name("kv.tesu"))).toBe(-1);
  });
  it("finds a service by any of its addresses, up to ADDR_PER_SVC", () => {
    expect(svcAddAddr(3, addr("fd00:1::3"))).toBe(0);
    expect(svcAddAddr(5, addr("fd00:1::5"))).toBe(0);
    expect(svcAddAddr(5, addr("fd00:2::5"))).toBe(1);
    expect(svcByAddr(addr("fd00:2::5"))).toBe(5);
    expect(svcByAddr(addr("fd00:1::3"))).toBe(3);
    expect(svcByAddr(addr("fd00:1::4"))).toBe(-1);
    for (let i = 2; i < ADDR_PER_SVC; i++) expect(svcAddAddr(5, addr("fd00:3::" + i.toString()))).toBe(i);
    expect(svcAddAddr(5, addr("fd00:4::1"))).toBe(-1);
  });
});
