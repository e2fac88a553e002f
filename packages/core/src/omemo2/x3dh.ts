// XEP-0384 OMEMO Encryption (OMEMO 2) §4.2 — https://xmpp.org/extensions/xep-0384.html
// X3DH (https://signal.org/docs/specifications/x3dh/) with OMEMO 2's choices, as python-x3dh
// implements them for twomemo: Ed25519-form identity keys (identity.ts), X25519, HKDF-SHA-256 over
// 32 0xFF bytes and DH1‖DH2‖DH3‖DH4 with a zero salt and info "OMEMO X3DH", a one-time prekey always
// (a bundle without one is refused by bundle.ts already); associated data: the initiator's Ed25519
// identity key then the responder's.
// The *On functions run X25519 and the signature check on a curve backend (../omemo/webcrypto-curve.ts:
// WebCrypto where the platform has it); the others on @noble, synchronously.
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { RandomBytes } from '../util/random.ts';
import { randomInt } from '../omemo/bytes.ts';
import type { Omemo2Bundle } from './bundle.ts';
import { verifyEd25519 } from '../omemo/crypto-provider.ts';
import { clampX25519, type CurveBackend } from '../omemo/webcrypto-curve.ts';
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

/** The curve operations X3DH needs, possibly asynchronous (WebCrypto's are). */
export type AgreementCurve = Pick<CurveBackend, 'keyPair' | 'agree' | 'verifyEd25519'>;

/** The four X25519 agreements to make, in X3DH's order, as [private, public] pairs. */
type Agreements = readonly (readonly [Uint8Array, Uint8Array])[];

interface ActivePlan {
  readonly agreements: Agreements;
  readonly ephemeral: Uint8Array;
  finish(dhs: readonly Uint8Array[], ephemeralPub: Uint8Array): ActiveAgreement;
}

function activePlan(own: OwnIdentity, bundle: Omemo2Bundle, randomBytes: RandomBytes): ActivePlan {
  const { signedPreKey } = bundle;
  const theirIdentity = montgomeryOf(bundle.identityKey);
  if (!theirIdentity) throw new RatchetError('The OMEMO 2 identity key is not a usable key.');
  const preKey = bundle.preKeys[randomInt(randomBytes, 0, bundle.preKeys.length - 1)];
  if (!preKey) throw new RatchetError('The OMEMO 2 bundle has no one-time prekey.');
  const ephemeral = clampX25519(randomBytes(32));
  return {
    agreements: [
      [own.privateKey, signedPreKey.publicKey],
      [ephemeral, theirIdentity],
      [ephemeral, signedPreKey.publicKey],
      [ephemeral, preKey.publicKey],
    ],
    ephemeral,
    finish: (dhs, ephemeralPub) => ({
      sharedSecret: secret(...dhs),
      associatedData: associatedData(own.edPublicKey, bundle.identityKey),
      keyExchange: {
        pkId: preKey.id,
        spkId: signedPreKey.id,
        ik: own.edPublicKey,
        ek: ephemeralPub,
      },
    }),
  };
}

function agreementFailed(error: unknown): RatchetError {
  return new RatchetError(
    `The OMEMO 2 key agreement failed: ${error instanceof Error ? error.message : String(error)}`,
  );
}

function invalidSignature(): RatchetError {
  return new RatchetError('The signature of the signed prekey in the OMEMO 2 bundle is invalid.');
}

/** The initiator's side, from the peer's bundle. Throws RatchetError for a bundle that fails. */
export function agreeActive(
  own: OwnIdentity,
  bundle: Omemo2Bundle,
  randomBytes: RandomBytes,
): ActiveAgreement {
  const { signedPreKey } = bundle;
  if (!verifyEd25519(bundle.identityKey, signedPreKey.publicKey, signedPreKey.signature)) {
    throw invalidSignature();
  }
  const plan = activePlan(own, bundle, randomBytes);
  try {
    const dhs = plan.agreements.map(([priv, pub]) => x25519.getSharedSecret(priv, pub));
    return plan.finish(dhs, x25519.getPublicKey(plan.ephemeral));
  } catch (error) {
    throw agreementFailed(error);
  }
}

/** agreeActive with the curve work on `curve`. */
export async function agreeActiveOn(
  curve: AgreementCurve,
  own: OwnIdentity,
  bundle: Omemo2Bundle,
  randomBytes: RandomBytes,
): Promise<ActiveAgreement> {
  const { signedPreKey } = bundle;
  const plan = activePlan(own, bundle, randomBytes);
  const [valid, dhs, pair] = await Promise.all([
    curve.verifyEd25519(bundle.identityKey, signedPreKey.publicKey, signedPreKey.signature),
    Promise.all(plan.agreements.map(([priv, pub]) => curve.agree(priv, pub))),
    curve.keyPair(plan.ephemeral),
  ]).catch((error: unknown) => {
    throw agreementFailed(error);
  });
  if (!valid) throw invalidSignature();
  return plan.finish(dhs, pair.publicKey);
}

function passiveAgreements(
  own: OwnIdentity,
  keys: { readonly signedPreKeyPriv: Uint8Array; readonly preKeyPriv: Uint8Array },
  theirIdentityEd: Uint8Array,
  theirEphemeral: Uint8Array,
): Agreements {
  const theirIdentity = montgomeryOf(theirIdentityEd);
  if (!theirIdentity || theirEphemeral.length !== 32) {
    throw new RatchetError('The OMEMO 2 key exchange carries an unusable key.');
  }
  return [
    [keys.signedPreKeyPriv, theirIdentity],
    [own.privateKey, theirEphemeral],
    [keys.signedPreKeyPriv, theirEphemeral],
    [keys.preKeyPriv, theirEphemeral],
  ];
}

/** The responder's side, from a key exchange naming this device's keys. */
export function agreePassive(
  own: OwnIdentity,
  keys: { readonly signedPreKeyPriv: Uint8Array; readonly preKeyPriv: Uint8Array },
  theirIdentityEd: Uint8Array,
  theirEphemeral: Uint8Array,
): { sharedSecret: Uint8Array; associatedData: Uint8Array } {
  const agreements = passiveAgreements(own, keys, theirIdentityEd, theirEphemeral);
  try {
    return {
      sharedSecret: secret(...agreements.map(([priv, pub]) => x25519.getSharedSecret(priv, pub))),
      associatedData: associatedData(theirIdentityEd, own.edPublicKey),
    };
  } catch (error) {
    throw agreementFailed(error);
  }
}

/** agreePassive with X25519 on `curve`. */
export async function agreePassiveOn(
  curve: AgreementCurve,
  own: OwnIdentity,
  keys: { readonly signedPreKeyPriv: Uint8Array; readonly preKeyPriv: Uint8Array },
  theirIdentityEd: Uint8Array,
  theirEphemeral: Uint8Array,
): Promise<{ sharedSecret: Uint8Array; associatedData: Uint8Array }> {
  const agreements = passiveAgreements(own, keys, theirIdentityEd, theirEphemeral);
  const dhs = await Promise.all(agreements.map(([priv, pub]) => curve.agree(priv, pub))).catch(
    (error: unknown) => {
      throw agreementFailed(error);
    },
  );
  return {
    sharedSecret: secret(...dhs),
    associatedData: associatedData(theirIdentityEd, own.edPublicKey),
  };
}
