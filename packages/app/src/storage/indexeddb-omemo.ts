// OMEMO's keys, sessions and devices in the web app's IndexedDB database: one store each
// (indexeddb-schema.ts), every record keyed by its account first.
import type {
  OmemoDevice,
  OmemoIdentity,
  OmemoPreKey,
  OmemoSignedPreKey,
  OmemoStore,
} from '@hush/core';
import { byCodePoint, copyDevice, copyIdentity, copyPreKey, copySignedPreKey } from '@hush/core';
import {
  inTransaction,
  removeByKey,
  TOP,
  type HushDatabase,
  type HushStoreName,
  type HushSchema,
} from './indexeddb-schema.ts';

type KeyedStoreName = Exclude<HushStoreName, 'accounts' | 'messages' | 'outbox' | 'uploads'>;

export class IdbOmemoStore implements OmemoStore {
  private readonly db: HushDatabase;
  private readonly keyRange: typeof IDBKeyRange;

  constructor(db: HushDatabase, keyRange: typeof IDBKeyRange) {
    this.db = db;
    this.keyRange = keyRange;
  }

  /** The records whose key starts with `prefix`, in key order. */
  private listOf<Name extends KeyedStoreName>(
    storeName: Name,
    prefix: unknown[],
  ): Promise<HushSchema[Name]['value'][]> {
    return this.db.getAll(storeName, this.keyRange.bound(prefix, [...prefix, TOP]));
  }

  async getIdentity(account: string): Promise<OmemoIdentity | undefined> {
    const found = await this.db.get('omemoIdentities', account);
    return found && copyIdentity(found);
  }

  async putIdentity(account: string, identity: OmemoIdentity): Promise<void> {
    await this.db.put('omemoIdentities', { account, ...copyIdentity(identity) });
  }

  async getPreKey(account: string, keyId: number): Promise<OmemoPreKey | undefined> {
    const found = await this.db.get('omemoPreKeys', [account, keyId]);
    return found && copyPreKey(found);
  }

  putPreKeys(account: string, preKeys: readonly OmemoPreKey[]): Promise<void> {
    return inTransaction(this.db, 'omemoPreKeys', 'readwrite', async (tx) => {
      await Promise.all(preKeys.map((preKey) => tx.store.put({ account, ...copyPreKey(preKey) })));
    });
  }

  removePreKey(account: string, keyId: number): Promise<boolean> {
    return removeByKey(this.db, 'omemoPreKeys', [account, keyId]);
  }

  async listPreKeys(account: string): Promise<OmemoPreKey[]> {
    return (await this.listOf('omemoPreKeys', [account])).map(copyPreKey);
  }

  async getSignedPreKey(account: string, keyId: number): Promise<OmemoSignedPreKey | undefined> {
    const found = await this.db.get('omemoSignedPreKeys', [account, keyId]);
    return found && copySignedPreKey(found);
  }

  async putSignedPreKey(account: string, signedPreKey: OmemoSignedPreKey): Promise<void> {
    await this.db.put('omemoSignedPreKeys', { account, ...copySignedPreKey(signedPreKey) });
  }

  removeSignedPreKey(account: string, keyId: number): Promise<boolean> {
    return removeByKey(this.db, 'omemoSignedPreKeys', [account, keyId]);
  }

  async listSignedPreKeys(account: string): Promise<OmemoSignedPreKey[]> {
    return (await this.listOf('omemoSignedPreKeys', [account]))
      .sort((a, b) => a.createdAt - b.createdAt || a.keyId - b.keyId)
      .map(copySignedPreKey);
  }

  async getSession(account: string, jid: string, deviceId: number): Promise<string | undefined> {
    return (await this.db.get('omemoSessions', [account, jid, deviceId]))?.record;
  }

  async putSession(account: string, jid: string, deviceId: number, record: string): Promise<void> {
    await this.db.put('omemoSessions', { account, jid, deviceId, record });
  }

  removeSession(account: string, jid: string, deviceId: number): Promise<boolean> {
    return removeByKey(this.db, 'omemoSessions', [account, jid, deviceId]);
  }

  async getDevice(
    account: string,
    jid: string,
    deviceId: number,
  ): Promise<OmemoDevice | undefined> {
    const found = await this.db.get('omemoDevices', [account, jid, deviceId]);
    return found && copyDevice(found);
  }

  async putDevice(account: string, device: OmemoDevice): Promise<void> {
    await this.db.put('omemoDevices', { account, ...copyDevice(device) });
  }

  async listDevices(account: string, jid?: string): Promise<OmemoDevice[]> {
    const prefix = jid === undefined ? [account] : [account, jid];
    return (await this.listOf('omemoDevices', prefix))
      .sort((a, b) => byCodePoint(a.jid, b.jid) || a.deviceId - b.deviceId)
      .map(copyDevice);
  }
}
