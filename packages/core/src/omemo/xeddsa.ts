// XEdDSA (https://signal.org/docs/specifications/xeddsa/) as libsignal and OMEMO 0.3 use it, and a
// strict Ed25519 verifier (RFC 8032) for OMEMO 2's Ed25519 identity keys. Pure @noble, so the same
// code runs on Node, browsers and React Native; webcrypto-curve.ts runs the verification equation
// on the platform's Ed25519 where there is one, after the same checks as here.
//
// Signing follows libsignal's curve25519_sign (curve_sigs.c): an Ed25519 signature made with the
// X25519 private key as the scalar, the Edwards public key's sign bit stored in the top bit of S, and
// a deterministic nonce SHA-512(0xFE‖0xFF×31‖key‖message) as in crypto_sign_modified. The XEdDSA
// specification instead negates the key so that the sign bit is always 0; both verify the same way:
// the verifier takes the sign bit from the signature (0 for a specification signer).
//
// What verification refuses, each checked here before any curve arithmetic (crypto-provider.test.ts
// has a test per check that fails without it):
// - a Montgomery public key u that is not canonical: u >= p, top bit included (X25519 ignores
//   that bit, so two encodings would name one key);
// - a public key of small order (u = 0, u = 1, the two points of order 8, and what maps to them):
//   every signature "verifies" for some message under such a key;
// - S >= L (after taking the sign bit off): S + L verifies wherever S does (malleability);
// - an R that is not a canonical encoding, or of small order.
// The equation itself is cofactorless, as in libsignal and the XEdDSA specification:
// R == [S]B - [h]A.
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../util/bytes.ts';

const { Fp, Fn } = ed25519.Point;
type EdPoint = InstanceType<typeof ed25519.Point>;
const SIGN_BIT = 0x80;
const P = Fp.ORDER;
const L = Fn.ORDER;

/** Why a signature was refused before its equation: for tests and logs, never shown to users. */
export type SignatureRefusal =
  | 'Length'
  | 'NonCanonicalKey'
  | 'SmallOrderKey'
  | 'NotOnCurve'
  | 'NonCanonicalS'
  | 'NonCanonicalR'
  | 'SmallOrderR';

/** A signature that passed every check but the equation: what the equation needs, in bytes. */
export interface CheckedSignature {
  /** The Ed25519 public key (32 bytes, canonical). */
  readonly edPublicKey: Uint8Array;
  /** R‖S with the sign bit cleared: a plain Ed25519 signature. */
  readonly signature: Uint8Array;
  readonly A: EdPoint;
  readonly R: EdPoint;
  readonly s: bigint;
}

export type SignatureCheck =
  | { readonly ok: true; readonly checked: CheckedSignature }
  | { readonly ok: false; readonly refusal: SignatureRefusal };

/** Montgomery u → canonical Edwards encoding with the given sign bit; refusal if u is unusable. */
function montgomeryToEdwards(
  publicKey: Uint8Array,
  signBit: number,
): Uint8Array | SignatureRefusal {
  if (publicKey.length !== 32) return 'Length';
  const u = bytesToNumberLE(publicKey);
  if (u >= P) return 'NonCanonicalKey';
  // u = −1 has no Edwards image (y = (u − 1)/(u + 1) divides by zero); it is not on the curve.
  if (u === P - 1n) return 'NotOnCurve';
  const y = Fp.mul(Fp.sub(u, Fp.ONE), Fp.inv(Fp.add(u, Fp.ONE)));
  const edPublicKey = numberToBytesLE(y, 32);
  edPublicKey[31] = (edPublicKey[31] ?? 0) | signBit;
  return edPublicKey;
}

/** Canonical y (< p), on the curve, not of small order; else the refusal. */
function decodePoint(
  bytes: Uint8Array,
  nonCanonical: SignatureRefusal,
  smallOrder: SignatureRefusal,
): EdPoint | SignatureRefusal {
  if (bytesToNumberLE(bytes) % (1n << 255n) >= P) return nonCanonical;
  let point: EdPoint;
  try {
    // zip215 decoding accepts what the check above already refused; the check is ours alone.
    point = ed25519.Point.fromBytes(bytes, true);
  } catch {
    return 'NotOnCurve';
  }
  if (point.isSmallOrder()) return smallOrder;
  return point;
}

/** Every check of an Ed25519 signature but the equation. */
export function checkEd25519Signature(
  edPublicKey: Uint8Array,
  signature: Uint8Array,
): SignatureCheck {
  if (edPublicKey.length !== 32 || signature.length !== 64) return { ok: false, refusal: 'Length' };
  const A = decodePoint(edPublicKey, 'NonCanonicalKey', 'SmallOrderKey');
  if (typeof A === 'string') return { ok: false, refusal: A };
  const s = bytesToNumberLE(signature.subarray(32));
  if (s >= L) return { ok: false, refusal: 'NonCanonicalS' };
  const R = decodePoint(signature.subarray(0, 32), 'NonCanonicalR', 'SmallOrderR');
  if (typeof R === 'string') return { ok: false, refusal: R };
  return { ok: true, checked: { edPublicKey, signature, A, R, s } };
}

/** Every check of an XEdDSA signature (Montgomery key, sign bit in S) but the equation. */
export function checkXeddsaSignature(publicKey: Uint8Array, signature: Uint8Array): SignatureCheck {
  if (publicKey.length !== 32 || signature.length !== 64) return { ok: false, refusal: 'Length' };
  const signBit = (signature[63] ?? 0) & SIGN_BIT;
  const edPublicKey = montgomeryToEdwards(publicKey, signBit);
  if (typeof edPublicKey === 'string') return { ok: false, refusal: edPublicKey };
  const plain = signature.slice();
  plain[63] = (plain[63] ?? 0) & ~SIGN_BIT & 0xff;
  return checkEd25519Signature(edPublicKey, plain);
}

/** The cofactorless equation R == [S]B − [h]A, with h = SHA-512(R‖A‖M) mod L. */
export function equationHolds(checked: CheckedSignature, message: Uint8Array): boolean {
  const h = Fn.create(
    bytesToNumberLE(
      sha512(concatBytes(checked.signature.subarray(0, 32), checked.edPublicKey, message)),
    ),
  );
  // Fn.create: the equation takes S mod L; S < L is checkEd25519Signature's job, not this one's.
  const sB = ed25519.Point.BASE.multiplyUnsafe(Fn.create(checked.s));
  return sB.subtract(checked.A.multiplyUnsafe(h)).equals(checked.R);
}

/** XEdDSA verification on @noble alone: true only for a valid, canonical signature. */
export function verifyXeddsa(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const check = checkXeddsaSignature(publicKey, signature);
  return check.ok && equationHolds(check.checked, message);
}

/** Strict Ed25519 verification on @noble alone (canonical A, R, S; A and R not of small order). */
export function verifyEd25519(
  edPublicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const check = checkEd25519Signature(edPublicKey, signature);
  return check.ok && equationHolds(check.checked, message);
}

/**
 * libsignal curve_sigs.c curve25519_sign + crypto_sign_modified, deterministic. `nonceScalar` is for
 * tests that need a chosen R; every real signature derives it from the key and the message.
 */
export function signXeddsa(
  privateKey: Uint8Array,
  message: Uint8Array,
  nonceScalar?: bigint,
): Uint8Array {
  const scalar = Fn.create(bytesToNumberLE(privateKey));
  const edPublicKey = ed25519.Point.BASE.multiply(scalar).toBytes();
  const prefix = new Uint8Array(32).fill(0xff);
  prefix[0] = 0xfe;
  const nonce =
    nonceScalar ?? Fn.create(bytesToNumberLE(sha512(concatBytes(prefix, privateKey, message))));
  const r =
    nonce === 0n ? ed25519.Point.ZERO.toBytes() : ed25519.Point.BASE.multiply(nonce).toBytes();
  const h = Fn.create(bytesToNumberLE(sha512(concatBytes(r, edPublicKey, message))));
  const s = Fn.add(Fn.mul(h, scalar), nonce);
  const signature = concatBytes(r, numberToBytesLE(s, 32));
  signature[63] = (signature[63] ?? 0) | ((edPublicKey[31] ?? 0) & SIGN_BIT);
  return signature;
}

/** X25519 public key of a clamped private key, through the Edwards base point (precomputed tables). */
export function x25519PublicKey(clampedPrivateKey: Uint8Array): Uint8Array {
  // u = (1 + y) / (1 − y) of [k]B; k is taken mod L, which the Montgomery ladder of a clamped key
  // (a multiple of 8 below 2^255) reaches too, as B has order L.
  const { y } = ed25519.Point.BASE.multiply(
    Fn.create(bytesToNumberLE(clampedPrivateKey)),
  ).toAffine();
  return numberToBytesLE(Fp.mul(Fp.add(Fp.ONE, y), Fp.inv(Fp.sub(Fp.ONE, y))), 32);
}
