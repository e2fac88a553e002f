// This device's key maintenance: prekeys refilled and the signed prekey rotated when due (keys.ts
// decides), and the bundles republished when anything changed. One run at a time: a PreKey message
// that used a one-time prekey and a reconnect may both ask for it at once.
// Both versions publish the same keys: OMEMO 0.3's bundle as libsignal writes it, OMEMO 2's with the
// identity key in Ed25519 form, raw 32-byte prekeys and an Ed25519 signature of the signed prekey
// (omemo2/identity.ts). A one-time prekey used through either version leaves both bundles.
import type { XmppSession } from '../xmpp/session.ts';
import type { OmemoStore } from '../storage/types.ts';
import type { RandomBytes } from '../util/random.ts';
import { currentBundle, maintainKeys, type KeyPolicy } from './keys.ts';
import { publishBundle } from './pep.ts';
import { publishBundle as publishBundle2 } from '../omemo2/pep.ts';
import { ed25519PublicKey, signEd25519 } from '../omemo2/identity.ts';
import type { Omemo2Bundle } from '../omemo2/bundle.ts';
import type { OmemoBundle } from './bundle.ts';

export interface KeyWorkOptions {
  readonly session: XmppSession;
  readonly store: OmemoStore;
  readonly account: string;
  readonly policy: KeyPolicy;
  readonly now: () => number;
  readonly randomBytes: RandomBytes;
  /** Whether the OMEMO 2 bundle is published too (default true). */
  readonly omemo2?: boolean;
}

export class KeyWork {
  readonly #options: KeyWorkOptions;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: KeyWorkOptions) {
    this.#options = options;
  }

  /** Maintains the keys; publishes the bundle if they changed, or always when `force`. */
  async run(force: boolean): Promise<void> {
    const { session, store, account, policy, now, randomBytes } = this.#options;
    const work = this.#queue.then(async () => {
      const identity = await store.getIdentity(account);
      if (!identity) return;
      const changed = await maintainKeys(store, account, identity, policy, now(), randomBytes);
      if (changed || force) {
        const bundle = await currentBundle(store, account, identity);
        await publishBundle(session, identity.deviceId, bundle);
        if (this.#options.omemo2 !== false) {
          await publishBundle2(
            session,
            identity.deviceId,
            omemo2Bundle(bundle, identity.privateKey, randomBytes),
          );
        }
      }
    });
    this.#queue = work.catch(() => undefined);
    await work;
  }
}

/** The OMEMO 2 form of this device's bundle (see the header). */
export function omemo2Bundle(
  bundle: OmemoBundle,
  identityPrivateKey: Uint8Array,
  randomBytes: RandomBytes,
): Omemo2Bundle {
  const raw = (key: Uint8Array) => (key.length === 33 ? key.subarray(1) : key);
  const signedKey = raw(bundle.signedPreKey.publicKey);
  return {
    identityKey: ed25519PublicKey(identityPrivateKey),
    signedPreKey: {
      id: bundle.signedPreKey.id,
      publicKey: signedKey,
      signature: signEd25519(identityPrivateKey, signedKey, randomBytes),
    },
    preKeys: bundle.preKeys.map((preKey) => ({ id: preKey.id, publicKey: raw(preKey.publicKey) })),
  };
}
