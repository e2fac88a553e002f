// Signal's own library (@signalapp/libsignal-client: Rust, native, a devDependency only, never
// shipped) as the baseline for Hush's OMEMO cipher: two parties with in-memory stores, a session
// from a prekey bundle, and the same whole OMEMO message as bench/omemo.ts (AES-GCM payload, its
// key through a Signal message, and back). Its current protocol is heavier than OMEMO 0.3's: PQXDH
// (an ML-KEM prekey in every bundle) and the SPQR post-quantum ratchet beside the X25519 one, which
// this API does not let a caller turn off. The rows say so.
import {
  CiphertextMessageType,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignalMessage,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';

class Sessions extends SessionStore {
  readonly records = new Map<string, Uint8Array<ArrayBuffer>>();
  saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.records.set(name.toString(), record.serialize());
    return Promise.resolve();
  }
  getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const record = this.records.get(name.toString());
    return Promise.resolve(record ? SessionRecord.deserialize(record) : null);
  }
  getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return Promise.all(addresses.map((a) => this.getSession(a))).then((all) =>
      all.filter((r): r is SessionRecord => r !== null),
    );
  }
}

class Identities extends IdentityKeyStore {
  readonly #pair: IdentityKeyPair;
  readonly #known = new Map<string, PublicKey>();
  constructor(pair: IdentityKeyPair) {
    super();
    this.#pair = pair;
  }
  getIdentityKey(): Promise<PrivateKey> {
    return Promise.resolve(this.#pair.privateKey);
  }
  getLocalRegistrationId(): Promise<number> {
    return Promise.resolve(1);
  }
  saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    this.#known.set(name.toString(), key);
    return Promise.resolve(IdentityChange.NewOrUnchanged);
  }
  isTrustedIdentity(): Promise<boolean> {
    return Promise.resolve(true);
  }
  getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return Promise.resolve(this.#known.get(name.toString()) ?? null);
  }
}

class PreKeys extends PreKeyStore {
  readonly #keys = new Map<number, PreKeyRecord>();
  savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.#keys.set(id, record);
    return Promise.resolve();
  }
  getPreKey(id: number): Promise<PreKeyRecord> {
    const record = this.#keys.get(id);
    return record ? Promise.resolve(record) : Promise.reject(new Error(`no prekey ${id}`));
  }
  removePreKey(id: number): Promise<void> {
    this.#keys.delete(id);
    return Promise.resolve();
  }
}

class SignedPreKeys extends SignedPreKeyStore {
  readonly #keys = new Map<number, SignedPreKeyRecord>();
  saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.#keys.set(id, record);
    return Promise.resolve();
  }
  getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const record = this.#keys.get(id);
    return record ? Promise.resolve(record) : Promise.reject(new Error(`no signed prekey ${id}`));
  }
}

class KyberPreKeys extends KyberPreKeyStore {
  readonly #keys = new Map<number, KyberPreKeyRecord>();
  saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.#keys.set(id, record);
    return Promise.resolve();
  }
  getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const record = this.#keys.get(id);
    return record ? Promise.resolve(record) : Promise.reject(new Error(`no kyber prekey ${id}`));
  }
  markKyberPreKeyUsed(): Promise<void> {
    return Promise.resolve();
  }
}

interface NativeParty {
  readonly address: ProtocolAddress;
  readonly sessions: Sessions;
  readonly identities: Identities;
  readonly preKeys: PreKeys;
  readonly signedPreKeys: SignedPreKeys;
  readonly kyberPreKeys: KyberPreKeys;
  readonly bundle: PreKeyBundle;
}

async function party(name: string): Promise<NativeParty> {
  const identity = IdentityKeyPair.generate();
  const preKey = PrivateKey.generate();
  const signedPreKey = PrivateKey.generate();
  const signedPreKeySignature = identity.privateKey.sign(signedPreKey.getPublicKey().serialize());
  const kyber = KEMKeyPair.generate();
  const kyberSignature = identity.privateKey.sign(kyber.getPublicKey().serialize());
  const parts = {
    address: ProtocolAddress.new(name, 1),
    sessions: new Sessions(),
    identities: new Identities(identity),
    preKeys: new PreKeys(),
    signedPreKeys: new SignedPreKeys(),
    kyberPreKeys: new KyberPreKeys(),
  };
  const now = Date.now();
  await parts.preKeys.savePreKey(1, PreKeyRecord.new(1, preKey.getPublicKey(), preKey));
  await parts.signedPreKeys.saveSignedPreKey(
    1,
    SignedPreKeyRecord.new(
      1,
      now,
      signedPreKey.getPublicKey(),
      signedPreKey,
      signedPreKeySignature,
    ),
  );
  await parts.kyberPreKeys.saveKyberPreKey(1, KyberPreKeyRecord.new(1, now, kyber, kyberSignature));
  const bundle = PreKeyBundle.new(
    1,
    1,
    1,
    preKey.getPublicKey(),
    1,
    signedPreKey.getPublicKey(),
    signedPreKeySignature,
    identity.publicKey,
    1,
    kyber.getPublicKey(),
    kyberSignature,
  );
  return { ...parts, bundle };
}

export interface NativeCipher {
  /** Encrypts `plaintext` from one party to the other and decrypts it on the other side. */
  send(from: 'a' | 'b', plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>>;
}

/** Two parties with their keys; connect() processes `b`'s bundle on `a` (X3DH with PQXDH). */
export async function nativeParties(): Promise<{ connect(): Promise<NativeCipher> }> {
  const a = await party('alice');
  const b = await party('bob');
  return {
    async connect() {
      await processPreKeyBundle(b.bundle, b.address, a.address, a.sessions, a.identities);
      return cipher(a, b);
    },
  };
}

function cipher(a: NativeParty, b: NativeParty): NativeCipher {
  return {
    async send(from, plaintext) {
      const [sender, receiver] = from === 'a' ? [a, b] : [b, a];
      const sealed = await signalEncrypt(
        plaintext,
        receiver.address,
        sender.address,
        sender.sessions,
        sender.identities,
      );
      const body = sealed.serialize();
      if (sealed.type() === CiphertextMessageType.PreKey)
        return signalDecryptPreKey(
          PreKeySignalMessage.deserialize(body),
          sender.address,
          receiver.address,
          receiver.sessions,
          receiver.identities,
          receiver.preKeys,
          receiver.signedPreKeys,
          receiver.kyberPreKeys,
        );
      return signalDecrypt(
        SignalMessage.deserialize(body),
        sender.address,
        receiver.address,
        receiver.sessions,
        receiver.identities,
      );
    },
  };
}
