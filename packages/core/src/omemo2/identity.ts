// XEP-0384 OMEMO Encryption (OMEMO 2) §5.1, §5.3.1 — https://xmpp.org/extensions/xep-0384.html
// OMEMO 2 names identity keys in their Ed25519 form and signs the signed prekey with Ed25519; Hush
// keeps one identity per device for both versions (the Curve25519 key pair OMEMO 0.3 made), so that
// a person verifies one fingerprint whatever version a contact speaks.
// - The Ed25519 public key is a·B for the clamped X25519 private key a; its Montgomery form is the
//   X25519 public key 0.3 publishes. python-omemo's x3dh does the same with a "priv" identity
//   (IdentityKeyPairPriv: priv_to_ed25519_pub, ed25519_priv_sign).
// - Of a·B and −a·B (one X25519 key) the one with sign bit 0 is published, as XEdDSA does: verifiers
//   built on libsignal's curve25519_verify (Converse.js 14's libomemo) derive the Ed25519 key from the
//   X25519 key and refused the other half of keys.
// - Signatures are plain Ed25519 (RFC 8032's equation) made with ±a as the scalar, since there is no
//   seed to hash; the nonce is SHA-512 over a domain prefix, the key, the message and 64 random bytes,
//   as XEdDSA's, so a weak random source alone does not leak the key.
// - Signatures are checked by ../omemo/xeddsa.ts's strict Ed25519 verifier (through
//   crypto-provider.ts).
// - A contact's Ed25519 key is mapped to Montgomery form for X3DH and for the device records the
//   trust rules read (33 bytes with libsignal's 0x05, as 0.3's), so both versions share one record.
//   Keys that do not decode, or decode to a point of small order, are refused.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import type { RandomBytes } from '../util/random.ts';
import { DJB_KEY_TYPE } from '../omemo/bundle.ts';
import { concatBytes } from '../util/bytes.ts';

const L = ed25519.Point.Fn.ORDER;
const NONCE_PREFIX = new Uint8Array([0xfe, ...new Array<number>(31).fill(0xff)]);

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value;
}

function toLittleEndian(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = 0; i < length; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/**
 * The X25519 private key as its scalar, clamped as X25519 clamps it, and negated when its Edwards
 * point has sign bit 1: a and −a give the same X25519 key, and with sign bit 0 the Ed25519 key is
 * the one an XEdDSA verifier derives from the X25519 key alone.
 */
function scalarOf(privateKey: Uint8Array): bigint {
  const clamped = Uint8Array.from(privateKey.subarray(0, 32));
  clamped[0] = (clamped[0] ?? 0) & 248;
  clamped[31] = ((clamped[31] ?? 0) & 127) | 64;
  const a = littleEndian(clamped) % L;
  const signBit = (ed25519.Point.BASE.multiply(a).toBytes()[31] ?? 0) & 0x80;
  return signBit === 0 ? a : L - a;
}

/** The Ed25519 public key (32 bytes, sign bit 0) of an X25519 identity private key. */
export function ed25519PublicKey(privateKey: Uint8Array): Uint8Array {
  return ed25519.Point.BASE.multiply(scalarOf(privateKey)).toBytes();
}

/** An Ed25519 signature of `message` by the X25519 identity private key (see the header). */
export function signEd25519(
  privateKey: Uint8Array,
  message: Uint8Array,
  randomBytes: RandomBytes,
): Uint8Array {
  const a = scalarOf(privateKey);
  const publicKey = ed25519.Point.BASE.multiply(a).toBytes();
  const r =
    littleEndian(
      sha512(concatBytes(NONCE_PREFIX, toLittleEndian(a, 32), message, randomBytes(64))),
    ) % L;
  const R = ed25519.Point.BASE.multiply(r === 0n ? 1n : r).toBytes();
  const h = littleEndian(sha512(concatBytes(R, publicKey, message))) % L;
  const S = ((r === 0n ? 1n : r) + h * a) % L;
  return concatBytes(R, toLittleEndian(S, 32));
}

/**
 * A contact's Ed25519 identity key -> its X25519 (Montgomery) form, 32 bytes; null when it is not a
 * point on the curve or has small order.
 */
export function montgomeryOf(edPublicKey: Uint8Array): Uint8Array | null {
  try {
    if (edPublicKey.length !== 32) return null;
    const point = ed25519.Point.fromBytes(edPublicKey);
    if (point.isSmallOrder()) return null;
    return ed25519.utils.toMontgomery(edPublicKey);
  } catch {
    return null;
  }
}

/** The form device records keep identity keys in (0x05 then the X25519 key), as OMEMO 0.3's. */
export function recordKeyOf(edPublicKey: Uint8Array): Uint8Array | null {
  const montgomery = montgomeryOf(edPublicKey);
  return montgomery && concatBytes(new Uint8Array([DJB_KEY_TYPE]), montgomery);
}
