// XEP-0384 OMEMO Encryption (OMEMO 2) §4.2 — https://xmpp.org/extensions/xep-0384.html
// X3DH (https://signal.org/docs/specifications/x3dh/) with OMEMO 2's choices, as python-x3dh
// implements them for twomemo: Ed25519-form identity keys (identity.ts), X25519, HKDF-SHA-256 over
// 32 0xFF bytes and DH1‖DH2‖DH3‖DH4 with a zero salt and info "OMEMO X3DH", a one-time prekey always
// (a bundle without one is refused by bundle.ts already); associated data: the initiator's Ed25519
// identity key then the responder's.
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { RandomBytes } from '../util/random.ts';
import { randomInt } from '../omemo/bytes.ts';
import type { Omemo2Bundle } from './bundle.ts';
import { verifyEd25519 } from '../omemo/crypto-provider.ts';
import { montgomeryOf } from './identity.ts';
import { RatchetError } from './ratchet.ts';

const INFO = new TextEncoder().encode('OMEMO X3DH');
const PADDING = new Uint8Array(32).fill(0xff);

export interface OwnIdentity {
  /** The X25519 private key. */
  readonly privateKey: Uint8Array;
  /** Its Ed25519 public key. */
  readonly edPublicKey: Uint8Array;
}

export interface ActiveAgreement {
  readonly sharedSecret: Uint8Array;
  readonly associatedData: Uint8Array;
  /** What the first messages carry in their OMEMOKeyExchange. */
  readonly keyExchange: {
    readonly pkId: number;
    readonly spkId: number;
    readonly ik: Uint8Array;
    readonly ek: Uint8Array;
  };
}

function secret(...dhs: Uint8Array[]): Uint8Array {
  const input = new Uint8Array(32 + dhs.length * 32);
  input.set(PADDING);
  dhs.forEach((dh, i) => input.set(dh, 32 + i * 32));
  return hkdf(sha256, input, new Uint8Array(32), INFO, 32);
}

function associatedData(initiator: Uint8Array, responder: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(initiator);
  out.set(responder, 32);
  return out;
}

/** The initiator's side, from the peer's bundle. Throws RatchetError for a bundle that fails. */
export function agreeActive(
  own: OwnIdentity,
  bundle: Omemo2Bundle,
  randomBytes: RandomBytes,
): ActiveAgreement {
  const { signedPreKey } = bundle;
  if (!verifyEd25519(bundle.identityKey, signedPreKey.publicKey, signedPreKey.signature)) {
    throw new RatchetError('The signature of the signed prekey in the OMEMO 2 bundle is invalid.');
  }
  const theirIdentity = montgomeryOf(bundle.identityKey);
  if (!theirIdentity) throw new RatchetError('The OMEMO 2 identity key is not a usable key.');
  const preKey = bundle.preKeys[randomInt(randomBytes, 0, bundle.preKeys.length - 1)];
  if (!preKey) throw new RatchetError('The OMEMO 2 bundle has no one-time prekey.');
  const ephemeral = randomBytes(32);
  try {
    const sharedSecret = secret(
      x25519.getSharedSecret(own.privateKey, signedPreKey.publicKey),
      x25519.getSharedSecret(ephemeral, theirIdentity),
      x25519.getSharedSecret(ephemeral, signedPreKey.publicKey),
      x25519.getSharedSecret(ephemeral, preKey.publicKey),
    );
    return {
      sharedSecret,
      associatedData: associatedData(own.edPublicKey, bundle.identityKey),
      keyExchange: {
        pkId: preKey.id,
        spkId: signedPreKey.id,
        ik: own.edPublicKey,
        ek: x25519.getPublicKey(ephemeral),
      },
    };
  } catch (error) {
    throw new RatchetError(
      `The OMEMO 2 key agreement failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The responder's side, from a key exchange naming this device's keys. */
export function agreePassive(
  own: OwnIdentity,
  keys: { readonly signedPreKeyPriv: Uint8Array; readonly preKeyPriv: Uint8Array },
  theirIdentityEd: Uint8Array,
  theirEphemeral: Uint8Array,
): { sharedSecret: Uint8Array; associatedData: Uint8Array } {
  const theirIdentity = montgomeryOf(theirIdentityEd);
  if (!theirIdentity || theirEphemeral.length !== 32) {
    throw new RatchetError('The OMEMO 2 key exchange carries an unusable key.');
  }
  try {
    return {
      sharedSecret: secret(
        x25519.getSharedSecret(keys.signedPreKeyPriv, theirIdentity),
        x25519.getSharedSecret(own.privateKey, theirEphemeral),
        x25519.getSharedSecret(keys.signedPreKeyPriv, theirEphemeral),
        x25519.getSharedSecret(keys.preKeyPriv, theirEphemeral),
      ),
      associatedData: associatedData(theirIdentityEd, own.edPublicKey),
    };
  } catch (error) {
    throw new RatchetError(
      `The OMEMO 2 key agreement failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
