// The libsignal StorageType for one account, over core's OmemoStore (storage/types.ts), so the
// Signal sessions, prekeys and identity live wherever the platform keeps the rest of its data.
//
// Trust is not decided here. libsignal asks isTrustedIdentity with only the JID (not the device:
// session-builder.js passes `remoteAddress.name`), which cannot express per-device trust, so it
// always answers true and the OMEMO layer (omemo.ts) checks trust before it encrypts for a device.
// What this adapter does do is record identity keys: saveIdentity is how libsignal reports the key
// of a device it built a session with or got a PreKey message from. It writes through trust.ts's
// ruledStore, which decides the trust: a device first learnt this way after the person verified one
// of its owner's devices waits for a decision, and a changed key is never trusted silently.
import type { KeyPairType, StorageType } from '@privacyresearch/libsignal-protocol-typescript';
import type { OmemoDevice, OmemoStore } from '../storage/types.ts';
import { equalBytes, toArrayBuffer } from './bytes.ts';

/** libsignal's "name.deviceId" address; JIDs contain dots, so split at the last one. */
export function splitAddress(address: string): { jid: string; deviceId: number } | null {
  const dot = address.lastIndexOf('.');
  if (dot <= 0) return null;
  const deviceId = Number(address.slice(dot + 1));
  return Number.isSafeInteger(deviceId) ? { jid: address.slice(0, dot), deviceId } : null;
}

export interface IdentityChange {
  readonly jid: string;
  readonly deviceId: number;
}

export class SignalStore implements StorageType {
  readonly #store: OmemoStore;
  readonly #account: string;
  readonly #now: () => number;
  readonly #onIdentityChange: (change: IdentityChange) => void;

  constructor(
    store: OmemoStore,
    account: string,
    now: () => number,
    onIdentityChange: (change: IdentityChange) => void,
  ) {
    this.#store = store;
    this.#account = account;
    this.#now = now;
    this.#onIdentityChange = onIdentityChange;
  }

  getIdentityKeyPair = async (): Promise<KeyPairType | undefined> => {
    const identity = await this.#store.getIdentity(this.#account);
    return identity
      ? { pubKey: toArrayBuffer(identity.publicKey), privKey: toArrayBuffer(identity.privateKey) }
      : undefined;
  };

  getLocalRegistrationId = async (): Promise<number | undefined> =>
    (await this.#store.getIdentity(this.#account))?.registrationId;

  isTrustedIdentity = (): Promise<boolean> => Promise.resolve(true);

  saveIdentity = async (address: string, publicKey: ArrayBuffer): Promise<boolean> => {
    const parsed = splitAddress(address);
    if (!parsed) return false;
    const key = new Uint8Array(publicKey);
    const known = await this.#store.getDevice(this.#account, parsed.jid, parsed.deviceId);
    const now = this.#now();
    if (!known?.identityKey) {
      // The trust written is only a floor: the store's rules decide (trust.ts).
      const device: OmemoDevice = {
        jid: parsed.jid,
        deviceId: parsed.deviceId,
        identityKey: key,
        trust: known?.trust ?? 'blind',
        active: known?.active ?? false,
        firstSeen: known?.firstSeen ?? now,
        lastSeen: known?.lastSeen ?? now,
      };
      await this.#store.putDevice(this.#account, device);
      return false;
    }
    if (equalBytes(known.identityKey, key)) return false;
    await this.#store.putDevice(this.#account, { ...known, identityKey: key, trust: 'untrusted' });
    this.#onIdentityChange(parsed);
    return true;
  };

  loadPreKey = async (keyId: string | number): Promise<KeyPairType | undefined> => {
    const preKey = await this.#store.getPreKey(this.#account, Number(keyId));
    return preKey
      ? { pubKey: toArrayBuffer(preKey.publicKey), privKey: toArrayBuffer(preKey.privateKey) }
      : undefined;
  };

  storePreKey = async (keyId: number | string, keyPair: KeyPairType): Promise<void> => {
    await this.#store.putPreKeys(this.#account, [
      {
        keyId: Number(keyId),
        publicKey: new Uint8Array(keyPair.pubKey),
        privateKey: new Uint8Array(keyPair.privKey),
      },
    ]);
  };

  removePreKey = async (keyId: number | string): Promise<void> => {
    await this.#store.removePreKey(this.#account, Number(keyId));
  };

  loadSignedPreKey = async (keyId: number | string): Promise<KeyPairType | undefined> => {
    const signed = await this.#store.getSignedPreKey(this.#account, Number(keyId));
    return signed
      ? { pubKey: toArrayBuffer(signed.publicKey), privKey: toArrayBuffer(signed.privateKey) }
      : undefined;
  };

  // Signed prekeys are made, rotated and removed by keys.ts, which keeps their signature and age.
  storeSignedPreKey = (): Promise<void> => Promise.resolve();
  removeSignedPreKey = (): Promise<void> => Promise.resolve();

  loadSession = async (address: string): Promise<string | undefined> => {
    const parsed = splitAddress(address);
    if (!parsed) return undefined;
    return this.#store.getSession(this.#account, parsed.jid, parsed.deviceId);
  };

  storeSession = async (address: string, record: string): Promise<void> => {
    const parsed = splitAddress(address);
    if (parsed) await this.#store.putSession(this.#account, parsed.jid, parsed.deviceId, record);
  };
}
