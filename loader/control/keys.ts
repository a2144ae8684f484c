// Which ed25519 public keys a manifest may give a user: one that decodes to a point of the
// curve (RFC 8032 §5.1.3: y below p, x found, no x = 0 with the sign bit set) whose order
// is not small. RFC 8032 lets a verifier accept the 8 points of order 1, 2, 4 or 8, but a
// signature by one of them needs no secret (with the identity as key, R = B and S = 1 sign
// any message), so a node refuses them, here and again in the kernel (kernel/crypto/
// ed25519.ts ed25519KeyUsable). Plain BigInt arithmetic on affine coordinates: slow, exact
// and independent of the kernel's code. Called by the manifest schema (users[].key).

const P = 2n ** 255n - 19n;

function mod(x: bigint): bigint { const r = x % P; return r < 0n ? r + P : r; }
function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  for (b = mod(b); e > 0n; e >>= 1n, b = mod(b * b)) if (e & 1n) r = mod(r * b);
  return r;
}
const inv = (x: bigint) => pow(x, P - 2n);
const D = mod(-121665n * inv(121666n));          // the curve's d (RFC 8032 §5.1)
const SQRT_M1 = pow(2n, (P - 1n) / 4n);          // a square root of -1

type Point = [x: bigint, y: bigint];

/** The point encoded in 32 bytes, or null if they do not decode (RFC 8032 §5.1.3). */
export function decodePoint(b: Uint8Array): Point | null {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? b[i] & 0x7f : b[i]);
  const sign = b[31] >> 7;
  if (y >= P) return null;
  const u = mod(y * y - 1n), v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x) !== u) {
    if (mod(v * x * x) !== mod(-u)) return null;
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign === 1) return null;
  if (Number(x & 1n) !== sign) x = P - x;
  return [x, y];
}

/** p + q on the twisted Edwards curve -x² + y² = 1 + d x² y² (complete: d is not a square). */
function add([x1, y1]: Point, [x2, y2]: Point): Point {
  const t = mod(D * x1 * x2 * y1 * y2);
  return [mod((x1 * y2 + y1 * x2) * inv(1n + t)), mod((y1 * y2 + x1 * x2) * inv(mod(1n - t)))];
}

/** Why a 32-byte ed25519 public key may not be a user's, or null if it may. */
export function keyProblem(key: Uint8Array): string | null {
  if (key.length !== 32) return `it is ${key.length} bytes, not 32`;
  let p = decodePoint(key);
  if (p === null) return "it is not the encoding of a point on the curve (RFC 8032 §5.1.3)";
  for (let i = 0; i < 3; i++) p = add(p, p);
  if (p[0] === 0n && p[1] === 1n) {
    return "it is a point of small order (RFC 8032 allows it, but anyone can sign as it without a secret)";
  }
  return null;
}
