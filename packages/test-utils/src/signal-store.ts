// An in-memory SignalProtocolStore for tests and benchmarks: one party (identity, registration id, prekeys,
// sessions). Trusts every identity: trust decisions are a later module's job, not the cipher's.
import {
  KeyHelper,
  SignalProtocolAddress,
  type DeviceType,
  type KeyPairType,
  type StorageType,
} from '@privacyresearch/libsignal-protocol-typescript';

export class MemorySignalStore implements StorageType {
  readonly #identityKeyPair: KeyPairType;
  readonly #registrationId: number;
  readonly #preKeys = new Map<string, KeyPairType>();
  readonly #signedPreKeys = new Map<string, KeyPairType>();
  readonly #sessions = new Map<string, string>();
  readonly #identities = new Map<string, ArrayBuffer>();

  constructor(identityKeyPair: KeyPairType, registrationId: number) {
    this.#identityKeyPair = identityKeyPair;
    this.#registrationId = registrationId;
  }

  getIdentityKeyPair = (): Promise<KeyPairType> => Promise.resolve(this.#identityKeyPair);
  getLocalRegistrationId = (): Promise<number> => Promise.resolve(this.#registrationId);
  isTrustedIdentity = (): Promise<boolean> => Promise.resolve(true);
  saveIdentity = (address: string, publicKey: ArrayBuffer): Promise<boolean> => {
    const known = this.#identities.get(address);
    this.#identities.set(address, publicKey);
    return Promise.resolve(known !== undefined && !equalBytes(known, publicKey));
  };
  loadPreKey = (keyId: string | number): Promise<KeyPairType | undefined> =>
    Promise.resolve(this.#preKeys.get(String(keyId)));
  storePreKey = (keyId: string | number, keyPair: KeyPairType): Promise<void> => {
    this.#preKeys.set(String(keyId), keyPair);
    return Promise.resolve();
  };
  removePreKey = (keyId: string | number): Promise<void> => {
    this.#preKeys.delete(String(keyId));
    return Promise.resolve();
  };
  loadSignedPreKey = (keyId: string | number): Promise<KeyPairType | undefined> =>
    Promise.resolve(this.#signedPreKeys.get(String(keyId)));
  storeSignedPreKey = (keyId: string | number, keyPair: KeyPairType): Promise<void> => {
    this.#signedPreKeys.set(String(keyId), keyPair);
    return Promise.resolve();
  };
  removeSignedPreKey = (keyId: string | number): Promise<void> => {
    this.#signedPreKeys.delete(String(keyId));
    return Promise.resolve();
  };
  loadSession = (address: string): Promise<string | undefined> =>
    Promise.resolve(this.#sessions.get(address));
  storeSession = (address: string, record: string): Promise<void> => {
    this.#sessions.set(address, record);
    return Promise.resolve();
  };

  /** The serialized session record for a remote address, as a persistent store would keep it. */
  sessionRecord(address: SignalProtocolAddress): string | undefined {
    return this.#sessions.get(address.toString());
  }
}

export interface TestParty {
  readonly address: SignalProtocolAddress;
  readonly store: MemorySignalStore;
  /** A bundle with one signed prekey and one one-time prekey, as a peer would fetch it from PEP. */
  readonly bundle: DeviceType;
}

export async function createTestParty(name: string, deviceId: number): Promise<TestParty> {
  const identityKeyPair = await KeyHelper.generateIdentityKeyPair();
  const registrationId = KeyHelper.generateRegistrationId();
  const store = new MemorySignalStore(identityKeyPair, registrationId);
  const preKey = await KeyHelper.generatePreKey(1);
  const signedPreKey = await KeyHelper.generateSignedPreKey(identityKeyPair, 1);
  await store.storePreKey(preKey.keyId, preKey.keyPair);
  await store.storeSignedPreKey(signedPreKey.keyId, signedPreKey.keyPair);
  return {
    address: new SignalProtocolAddress(name, deviceId),
    store,
    bundle: {
      identityKey: identityKeyPair.pubKey,
      registrationId,
      preKey: { keyId: preKey.keyId, publicKey: preKey.keyPair.pubKey },
      signedPreKey: {
        keyId: signedPreKey.keyId,
        publicKey: signedPreKey.keyPair.pubKey,
        signature: signedPreKey.signature,
      },
    },
  };
}

function equalBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}
