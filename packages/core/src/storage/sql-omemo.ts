// OMEMO keys, sessions and devices in SQLite (the omemo_* tables, sql-schema.ts migration 3). Keys
// are BLOBs of the exact bytes.
import type {
  OmemoDevice,
  OmemoIdentity,
  OmemoPreKey,
  OmemoSignedPreKey,
  OmemoStore,
  OmemoTrust,
} from './types.ts';
import { bytes, numeric, optionalBytes, text, type SqlQueue, type SqlRow } from './sql-driver.ts';

const PUT_IDENTITY = `INSERT INTO omemo_identities (account, device_id, registration_id,
    public_key, private_key, created_at)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (account) DO UPDATE SET device_id = excluded.device_id,
    registration_id = excluded.registration_id, public_key = excluded.public_key,
    private_key = excluded.private_key, created_at = excluded.created_at`;
const PUT_PREKEY = `INSERT INTO omemo_prekeys (account, key_id, public_key, private_key)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (account, key_id) DO UPDATE SET public_key = excluded.public_key,
    private_key = excluded.private_key`;
const PUT_SIGNED_PREKEY = `INSERT INTO omemo_signed_prekeys (account, key_id, public_key,
    private_key, signature, created_at)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (account, key_id) DO UPDATE SET public_key = excluded.public_key,
    private_key = excluded.private_key, signature = excluded.signature,
    created_at = excluded.created_at`;
const PUT_SESSION = `INSERT INTO omemo_sessions (account, jid, device_id, record) VALUES (?, ?, ?, ?)
  ON CONFLICT (account, jid, device_id) DO UPDATE SET record = excluded.record`;
const PUT_DEVICE = `INSERT INTO omemo_devices (account, jid, device_id, identity_key, trust, active,
    first_seen, last_seen)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (account, jid, device_id) DO UPDATE SET identity_key = excluded.identity_key,
    trust = excluded.trust, active = excluded.active, first_seen = excluded.first_seen,
    last_seen = excluded.last_seen`;

function toIdentity(row: SqlRow): OmemoIdentity {
  return {
    deviceId: numeric(row, 'device_id'),
    registrationId: numeric(row, 'registration_id'),
    publicKey: bytes(row, 'public_key'),
    privateKey: bytes(row, 'private_key'),
    createdAt: numeric(row, 'created_at'),
  };
}

function toPreKey(row: SqlRow): OmemoPreKey {
  return {
    keyId: numeric(row, 'key_id'),
    publicKey: bytes(row, 'public_key'),
    privateKey: bytes(row, 'private_key'),
  };
}

function toSignedPreKey(row: SqlRow): OmemoSignedPreKey {
  return {
    ...toPreKey(row),
    signature: bytes(row, 'signature'),
    createdAt: numeric(row, 'created_at'),
  };
}

function toDevice(row: SqlRow): OmemoDevice {
  const identityKey = optionalBytes(row, 'identity_key');
  return {
    jid: text(row, 'jid'),
    deviceId: numeric(row, 'device_id'),
    ...(identityKey !== undefined && { identityKey }),
    // Written only by this code from OmemoTrust; a newer Hush adding levels must keep rule 1.
    trust: text(row, 'trust') as OmemoTrust,
    active: numeric(row, 'active') !== 0,
    firstSeen: numeric(row, 'first_seen'),
    lastSeen: numeric(row, 'last_seen'),
  };
}

export class SqlOmemoStore implements OmemoStore {
  readonly #queue: SqlQueue;

  constructor(queue: SqlQueue) {
    this.#queue = queue;
  }

  async getIdentity(account: string): Promise<OmemoIdentity | undefined> {
    const row = await this.#queue.get('SELECT * FROM omemo_identities WHERE account = ?', [
      account,
    ]);
    return row && toIdentity(row);
  }

  putIdentity(account: string, identity: OmemoIdentity): Promise<void> {
    return this.#queue.write(PUT_IDENTITY, [
      account,
      identity.deviceId,
      identity.registrationId,
      identity.publicKey,
      identity.privateKey,
      identity.createdAt,
    ]);
  }

  async getPreKey(account: string, keyId: number): Promise<OmemoPreKey | undefined> {
    const row = await this.#queue.get(
      'SELECT * FROM omemo_prekeys WHERE account = ? AND key_id = ?',
      [account, keyId],
    );
    return row && toPreKey(row);
  }

  async putPreKeys(account: string, preKeys: readonly OmemoPreKey[]): Promise<void> {
    // One transaction: a crash never keeps half a batch, and one commit (one fsync) serves all keys.
    await this.#queue.transaction(async (driver) => {
      for (const preKey of preKeys) {
        await driver.run(PUT_PREKEY, [account, preKey.keyId, preKey.publicKey, preKey.privateKey]);
      }
    });
  }

  removePreKey(account: string, keyId: number): Promise<boolean> {
    return this.#queue.changed('DELETE FROM omemo_prekeys WHERE account = ? AND key_id = ?', [
      account,
      keyId,
    ]);
  }

  async listPreKeys(account: string): Promise<OmemoPreKey[]> {
    const rows = await this.#queue.all(
      'SELECT * FROM omemo_prekeys WHERE account = ? ORDER BY key_id',
      [account],
    );
    return rows.map(toPreKey);
  }

  async getSignedPreKey(account: string, keyId: number): Promise<OmemoSignedPreKey | undefined> {
    const row = await this.#queue.get(
      'SELECT * FROM omemo_signed_prekeys WHERE account = ? AND key_id = ?',
      [account, keyId],
    );
    return row && toSignedPreKey(row);
  }

  putSignedPreKey(account: string, key: OmemoSignedPreKey): Promise<void> {
    return this.#queue.write(PUT_SIGNED_PREKEY, [
      account,
      key.keyId,
      key.publicKey,
      key.privateKey,
      key.signature,
      key.createdAt,
    ]);
  }

  removeSignedPreKey(account: string, keyId: number): Promise<boolean> {
    return this.#queue.changed(
      'DELETE FROM omemo_signed_prekeys WHERE account = ? AND key_id = ?',
      [account, keyId],
    );
  }

  async listSignedPreKeys(account: string): Promise<OmemoSignedPreKey[]> {
    const rows = await this.#queue.all(
      'SELECT * FROM omemo_signed_prekeys WHERE account = ? ORDER BY created_at, key_id',
      [account],
    );
    return rows.map(toSignedPreKey);
  }

  async getSession(account: string, jid: string, deviceId: number): Promise<string | undefined> {
    const row = await this.#queue.get(
      'SELECT record FROM omemo_sessions WHERE account = ? AND jid = ? AND device_id = ?',
      [account, jid, deviceId],
    );
    return row && text(row, 'record');
  }

  putSession(account: string, jid: string, deviceId: number, record: string): Promise<void> {
    return this.#queue.write(PUT_SESSION, [account, jid, deviceId, record]);
  }

  removeSession(account: string, jid: string, deviceId: number): Promise<boolean> {
    return this.#queue.changed(
      'DELETE FROM omemo_sessions WHERE account = ? AND jid = ? AND device_id = ?',
      [account, jid, deviceId],
    );
  }

  async getDevice(
    account: string,
    jid: string,
    deviceId: number,
  ): Promise<OmemoDevice | undefined> {
    const row = await this.#queue.get(
      'SELECT * FROM omemo_devices WHERE account = ? AND jid = ? AND device_id = ?',
      [account, jid, deviceId],
    );
    return row && toDevice(row);
  }

  putDevice(account: string, device: OmemoDevice): Promise<void> {
    return this.#queue.write(PUT_DEVICE, [
      account,
      device.jid,
      device.deviceId,
      device.identityKey ?? null,
      device.trust,
      device.active ? 1 : 0,
      device.firstSeen,
      device.lastSeen,
    ]);
  }

  async listDevices(account: string, jid?: string): Promise<OmemoDevice[]> {
    const rows =
      jid === undefined
        ? await this.#queue.all(
            'SELECT * FROM omemo_devices WHERE account = ? ORDER BY jid, device_id',
            [account],
          )
        : await this.#queue.all(
            'SELECT * FROM omemo_devices WHERE account = ? AND jid = ? ORDER BY device_id',
            [account, jid],
          );
    return rows.map(toDevice);
  }
}
