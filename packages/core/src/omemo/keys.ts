// XEP-0384 OMEMO Encryption (legacy 0.3) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// This device's keys: the identity made once, the signed prekey rotated on a schedule (the old one
// kept for a grace period, so PreKey messages built on a bundle fetched before the rotation still
// decrypt), and the one-time prekeys topped up to a fixed count whenever one is used.
import { KeyHelper } from '@privacyresearch/libsignal-protocol-typescript';
import type { OmemoIdentity, OmemoPreKey, OmemoStore } from '../storage/types.ts';
import { MAX_DEVICE_ID, type OmemoBundle } from './bundle.ts';
import { randomInt, toArrayBuffer } from './bytes.ts';
import type { RandomBytes } from './crypto-provider.ts';

const DAY = 24 * 60 * 60 * 1000;

/**
 * A used one-time prekey is kept a while under this offset plus its id (above every id a bundle can
 * name), out of the bundle: two people who fetched the bundle at the same time may both have picked
 * it, and the second one's PreKey message would otherwise decrypt without it, to "Bad MAC"
 * (libsignal goes on without a one-time prekey it cannot find). The newest RETIRED_KEPT stay.
 */
export const RETIRED_PREKEY = 2 ** 32;
export const RETIRED_KEPT = 100;

export function isRetiredPreKey(keyId: number): boolean {
  return keyId >= RETIRED_PREKEY;
}

export interface KeyPolicy {
  /** One-time prekeys kept published (XEP-0384 asks for at least 20; clients publish 100). */
  readonly preKeyCount: number;
  /** A new signed prekey after this long. */
  readonly signedPreKeyRotationMs: number;
  /** How long a replaced signed prekey still decrypts PreKey messages. */
  readonly signedPreKeyGraceMs: number;
}

export const DEFAULT_KEY_POLICY: KeyPolicy = {
  preKeyCount: 100,
  signedPreKeyRotationMs: 7 * DAY,
  signedPreKeyGraceMs: 30 * DAY,
};

/** The account's OMEMO identity on this device, made on first use. */
export async function ensureIdentity(
  store: OmemoStore,
  account: string,
  randomBytes: RandomBytes,
  now: number,
): Promise<OmemoIdentity> {
  const known = await store.getIdentity(account);
  if (known) return known;
  const pair = await KeyHelper.generateIdentityKeyPair();
  const identity: OmemoIdentity = {
    deviceId: randomInt(randomBytes, 1, MAX_DEVICE_ID),
    // Signal registration ids are 14 bits (libsignal's KeyHelper uses 1..16380).
    registrationId: randomInt(randomBytes, 1, 16380),
    publicKey: new Uint8Array(pair.pubKey),
    privateKey: new Uint8Array(pair.privKey),
    createdAt: now,
  };
  await store.putIdentity(account, identity);
  return identity;
}

/**
 * Rotates the signed prekey when due, drops replaced ones past their grace period and tops the
 * one-time prekeys up to the policy's count. Returns whether the published bundle must change.
 */
export async function maintainKeys(
  store: OmemoStore,
  account: string,
  identity: OmemoIdentity,
  policy: KeyPolicy,
  now: number,
  randomBytes: RandomBytes,
): Promise<boolean> {
  let changed = false;
  const signed = await store.listSignedPreKeys(account);
  const newest = signed.at(-1);
  if (!newest || now - newest.createdAt >= policy.signedPreKeyRotationMs) {
    const pair = {
      pubKey: toArrayBuffer(identity.publicKey),
      privKey: toArrayBuffer(identity.privateKey),
    };
    const keyId = ((newest?.keyId ?? 0) % 0xffffff) + 1;
    const made = await KeyHelper.generateSignedPreKey(pair, keyId);
    await store.putSignedPreKey(account, {
      keyId,
      publicKey: new Uint8Array(made.keyPair.pubKey),
      privateKey: new Uint8Array(made.keyPair.privKey),
      signature: new Uint8Array(made.signature),
      createdAt: now,
    });
    changed = true;
  }
  const all = await store.listSignedPreKeys(account);
  // A key is kept while the key that replaced it is younger than the grace period.
  for (let i = 0; i < all.length - 1; i++) {
    const replacedAt = all[i + 1]?.createdAt ?? now;
    const key = all[i];
    if (key && now - replacedAt >= policy.signedPreKeyGraceMs) {
      await store.removeSignedPreKey(account, key.keyId);
    }
  }
  const preKeys = (await store.listPreKeys(account)).filter((key) => !isRetiredPreKey(key.keyId));
  const missing = policy.preKeyCount - preKeys.length;
  if (missing > 0) {
    const taken = new Set(preKeys.map((preKey) => preKey.keyId));
    const made: OmemoPreKey[] = [];
    for (let i = 0; i < missing; i++) {
      // Random ids (31 bits) rather than a counter: a used id is then (almost surely) never published
      // again with another key, without keeping a counter that a restore could roll back.
      let keyId = randomInt(randomBytes, 1, MAX_DEVICE_ID);
      while (taken.has(keyId)) keyId = randomInt(randomBytes, 1, MAX_DEVICE_ID);
      taken.add(keyId);
      const pair = await KeyHelper.generatePreKey(keyId);
      made.push({
        keyId,
        publicKey: new Uint8Array(pair.keyPair.pubKey),
        privateKey: new Uint8Array(pair.keyPair.privKey),
      });
    }
    await store.putPreKeys(account, made);
    changed = true;
  }
  return changed;
}

/** What this device publishes: its identity key, newest signed prekey and one-time prekeys. */
export async function currentBundle(
  store: OmemoStore,
  account: string,
  identity: OmemoIdentity,
): Promise<OmemoBundle> {
  const signed = (await store.listSignedPreKeys(account)).at(-1);
  if (!signed) throw new Error('No signed prekey: maintainKeys runs first.');
  const preKeys = (await store.listPreKeys(account)).filter((key) => !isRetiredPreKey(key.keyId));
  return {
    identityKey: identity.publicKey,
    signedPreKey: { id: signed.keyId, publicKey: signed.publicKey, signature: signed.signature },
    preKeys: preKeys.map((preKey) => ({ id: preKey.keyId, publicKey: preKey.publicKey })),
  };
}
