// The OMEMO part of the storage in memory (memory.ts): identity, prekeys, signed prekeys, sessions
// and devices per account, ordered as SQLite orders them.
import type {
  OmemoDevice,
  OmemoIdentity,
  OmemoPreKey,
  OmemoSignedPreKey,
  OmemoStore,
} from './types.ts';
import { byCodePoint, copyDevice, copyIdentity, copyPreKey, copySignedPreKey } from './records.ts';

// Keys join parts with NUL, which cannot occur in a JID or an XML attribute value (as in memory.ts).
const key = (...parts: string[]): string => parts.join('\u0000');

/** The account's part of `byAccount`, created on first use. */
function ofAccount<K, V>(byAccount: Map<string, Map<K, V>>, account: string): Map<K, V> {
  let records = byAccount.get(account);
  if (!records) {
    records = new Map();
    byAccount.set(account, records);
  }
  return records;
}

export class MemoryOmemoStore implements OmemoStore {
  readonly #identities = new Map<string, OmemoIdentity>();
  readonly #preKeys = new Map<string, Map<number, OmemoPreKey>>();
  readonly #signedPreKeys = new Map<string, Map<number, OmemoSignedPreKey>>();
  /** By key(jid, deviceId) within each account. */
  readonly #sessions = new Map<string, Map<string, string>>();
  readonly #devices = new Map<string, Map<string, OmemoDevice>>();

  async getIdentity(account: string): Promise<OmemoIdentity | undefined> {
    const identity = this.#identities.get(account);
    return identity && copyIdentity(identity);
  }

  async putIdentity(account: string, identity: OmemoIdentity): Promise<void> {
    this.#identities.set(account, copyIdentity(identity));
  }

  async getPreKey(account: string, keyId: number): Promise<OmemoPreKey | undefined> {
    const preKey = this.#preKeys.get(account)?.get(keyId);
    return preKey && copyPreKey(preKey);
  }

  async putPreKeys(account: string, preKeys: readonly OmemoPreKey[]): Promise<void> {
    const stored = ofAccount(this.#preKeys, account);
    for (const preKey of preKeys) stored.set(preKey.keyId, copyPreKey(preKey));
  }

  async removePreKey(account: string, keyId: number): Promise<boolean> {
    return this.#preKeys.get(account)?.delete(keyId) ?? false;
  }

  async listPreKeys(account: string): Promise<OmemoPreKey[]> {
    return [...(this.#preKeys.get(account)?.values() ?? [])]
      .sort((a, b) => a.keyId - b.keyId)
      .map(copyPreKey);
  }

  async getSignedPreKey(account: string, keyId: number): Promise<OmemoSignedPreKey | undefined> {
    const signedPreKey = this.#signedPreKeys.get(account)?.get(keyId);
    return signedPreKey && copySignedPreKey(signedPreKey);
  }

  async putSignedPreKey(account: string, signedPreKey: OmemoSignedPreKey): Promise<void> {
    ofAccount(this.#signedPreKeys, account).set(signedPreKey.keyId, copySignedPreKey(signedPreKey));
  }

  async removeSignedPreKey(account: string, keyId: number): Promise<boolean> {
    return this.#signedPreKeys.get(account)?.delete(keyId) ?? false;
  }

  async listSignedPreKeys(account: string): Promise<OmemoSignedPreKey[]> {
    return [...(this.#signedPreKeys.get(account)?.values() ?? [])]
      .sort((a, b) => a.createdAt - b.createdAt || a.keyId - b.keyId)
      .map(copySignedPreKey);
  }

  async getSession(account: string, jid: string, deviceId: number): Promise<string | undefined> {
    return this.#sessions.get(account)?.get(key(jid, String(deviceId)));
  }

  async putSession(account: string, jid: string, deviceId: number, record: string): Promise<void> {
    ofAccount(this.#sessions, account).set(key(jid, String(deviceId)), record);
  }

  async removeSession(account: string, jid: string, deviceId: number): Promise<boolean> {
    return this.#sessions.get(account)?.delete(key(jid, String(deviceId))) ?? false;
  }

  async getDevice(
    account: string,
    jid: string,
    deviceId: number,
  ): Promise<OmemoDevice | undefined> {
    const device = this.#devices.get(account)?.get(key(jid, String(deviceId)));
    return device && copyDevice(device);
  }

  async putDevice(account: string, device: OmemoDevice): Promise<void> {
    ofAccount(this.#devices, account).set(
      key(device.jid, String(device.deviceId)),
      copyDevice(device),
    );
  }

  async listDevices(account: string, jid?: string): Promise<OmemoDevice[]> {
    return [...(this.#devices.get(account)?.values() ?? [])]
      .filter((d) => jid === undefined || d.jid === jid)
      .sort((a, b) => byCodePoint(a.jid, b.jid) || a.deviceId - b.deviceId)
      .map(copyDevice);
  }
}
