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
import { RETIRED_KEPT, RETIRED_PREKEY, isRetiredPreKey } from './keys.ts';

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

/** What a held decrypt changed, kept back until release(). */
interface Held {
  readonly address: string;
  record?: string;
  readonly removedPreKeys: number[];
  /** The decrypt is over: later writes to its session wait for release(). */
  decrypted: boolean;
  readonly released: Promise<void>;
  readonly release: () => void;
}

export class SignalStore implements StorageType {
  readonly #store: OmemoStore;
  #held: Held | undefined;
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

  /**
   * Keeps back what the next decrypt from `address` writes (its session, a used one-time prekey)
   * until release(): the message is stored first (Messenger), so a process that dies in between
   * finds the old session on disk and decrypts the message again from the archive. Once the
   * decrypt is over (decrypted()), another write to that session (an encrypt queued behind it)
   * waits for release(), so nothing sent can rest on a session state that might be dropped.
   */
  hold(address: string): void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#held = { address, removedPreKeys: [], decrypted: false, released, release };
  }

  decrypted(): void {
    if (this.#held) this.#held.decrypted = true;
  }

  /** Writes (`commit`) or drops what the held decrypt changed. */
  async release(commit: boolean): Promise<void> {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    try {
      const parsed = splitAddress(held.address);
      if (commit && parsed && held.record !== undefined)
        await this.#store.putSession(this.#account, parsed.jid, parsed.deviceId, held.record);
      if (commit) for (const keyId of held.removedPreKeys) await this.#retirePreKey(keyId);
    } finally {
      held.release();
    }
  }

  loadPreKey = async (keyId: string | number): Promise<KeyPairType | undefined> => {
    // A used one is still found, retired: a second person may have picked it too (keys.ts).
    const id = Number(keyId);
    const preKey =
      (await this.#store.getPreKey(this.#account, id)) ??
      (await this.#store.getPreKey(this.#account, RETIRED_PREKEY + id));
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
    if (this.#held && !this.#held.decrypted) {
      this.#held.removedPreKeys.push(Number(keyId));
      return;
    }
    await this.#retirePreKey(Number(keyId));
  };

  /** Takes a used one-time prekey out of the bundle and keeps it a while (keys.ts). */
  async #retirePreKey(keyId: number): Promise<void> {
    if (isRetiredPreKey(keyId)) return;
    const preKey = await this.#store.getPreKey(this.#account, keyId);
    if (preKey)
      await this.#store.putPreKeys(this.#account, [{ ...preKey, keyId: RETIRED_PREKEY + keyId }]);
    await this.#store.removePreKey(this.#account, keyId);
    // Beyond RETIRED_KEPT, some go for good (the store keeps no age; ids are random, so which is
    // as good as random).
    const retired = (await this.#store.listPreKeys(this.#account)).filter((key) =>
      isRetiredPreKey(key.keyId),
    );
    for (const old of retired.slice(0, Math.max(0, retired.length - RETIRED_KEPT)))
      await this.#store.removePreKey(this.#account, old.keyId);
  }

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
    const held = this.#held;
    if (held?.address === address && held.record !== undefined) return held.record;
    const parsed = splitAddress(address);
    if (!parsed) return undefined;
    return this.#store.getSession(this.#account, parsed.jid, parsed.deviceId);
  };

  storeSession = async (address: string, record: string): Promise<void> => {
    const held = this.#held;
    if (held?.address === address) {
      if (!held.decrypted) {
        held.record = record;
        return;
      }
      await held.released;
    }
    const parsed = splitAddress(address);
    if (parsed) await this.#store.putSession(this.#account, parsed.jid, parsed.deviceId, record);
  };
}
