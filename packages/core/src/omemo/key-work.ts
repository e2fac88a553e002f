// This device's key maintenance: prekeys refilled and the signed prekey rotated when due (keys.ts
// decides), and the bundles republished when anything changed. One run at a time: a PreKey message
// that used a one-time prekey and a reconnect may both ask for it at once.
// A start publishes nothing when nothing changed. It leaves a check due instead, which the next
// maintenance run does (startClient asks for one once online): both bundles are read back from the
// server and only one missing there (deleted, a server reset) or differing from this device's keys
// (a publish cut short by a crash) is published again. Two reads instead of two publishes, and
// neither on the way to connected.
// Both versions publish the same keys: OMEMO 0.3's bundle as libsignal writes it, OMEMO 2's with the
// identity key in Ed25519 form, raw 32-byte prekeys and an Ed25519 signature of the signed prekey
// (omemo2/identity.ts). A one-time prekey used through either version leaves both bundles.
import type { XmppSession } from '../xmpp/session.ts';
import type { OmemoIdentity, OmemoStore } from '../storage/types.ts';
import type { RandomBytes } from '../util/random.ts';
import { currentBundle, maintainKeys, type KeyPolicy } from './keys.ts';
import { fetchBundle, publishBundle } from './pep.ts';
import { fetchBundle as fetchBundle2, publishBundle as publishBundle2 } from '../omemo2/pep.ts';
import { ed25519PublicKey, signEd25519 } from '../omemo2/identity.ts';
import type { Omemo2Bundle } from '../omemo2/bundle.ts';
import type { OmemoBundle } from './bundle.ts';
import { verifyEd25519 } from './xeddsa.ts';

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
  /** A start found nothing to publish: whether the server still has the bundles is checked next. */
  #checkDue = false;

  constructor(options: KeyWorkOptions) {
    this.#options = options;
  }

  /**
   * Maintains the keys and publishes the bundles if they changed. With `start`, bundles that did not
   * change are not published but checked against the server's copies by the next run without it.
   */
  async run(start: boolean): Promise<void> {
    const { store, account, policy, now, randomBytes } = this.#options;
    const work = this.#queue.then(async () => {
      const identity = await store.getIdentity(account);
      if (!identity) return;
      const changed = await maintainKeys(store, account, identity, policy, now(), randomBytes);
      if (changed) {
        await this.#publish(identity, { legacy: true, omemo2: true });
        this.#checkDue = false;
      } else if (start) {
        this.#checkDue = true;
      } else if (this.#checkDue) {
        this.#checkDue = false;
        await this.#checkPublished(identity);
      }
    });
    this.#queue = work.catch(() => undefined);
    await work;
  }

  /** Reads this device's bundles from the server; publishes those missing or not current. */
  async #checkPublished(identity: OmemoIdentity): Promise<void> {
    const { session, store, account } = this.#options;
    const omemo2 = this.#options.omemo2 !== false;
    const [expected, legacy, published2] = await Promise.all([
      currentBundle(store, account, identity),
      fetchBundle(session, account, identity.deviceId).catch(() => undefined),
      omemo2
        ? fetchBundle2(session, account, identity.deviceId).catch(() => undefined)
        : Promise.resolve(undefined),
    ]);
    await this.#publish(identity, {
      legacy: !legacy || !sameBundle(legacy, expected),
      omemo2: omemo2 && (!published2 || !isOmemo2FormOf(published2, expected, identity)),
    });
  }

  async #publish(
    identity: OmemoIdentity,
    which: { readonly legacy: boolean; readonly omemo2: boolean },
  ): Promise<void> {
    const { session, store, account, randomBytes } = this.#options;
    if (!which.legacy && !which.omemo2) return;
    const bundle = await currentBundle(store, account, identity);
    await Promise.all([
      which.legacy ? publishBundle(session, identity.deviceId, bundle) : undefined,
      which.omemo2 && this.#options.omemo2 !== false
        ? publishBundle2(
            session,
            identity.deviceId,
            omemo2Bundle(bundle, identity.privateKey, randomBytes),
          )
        : undefined,
    ]);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function samePreKeys(
  a: readonly { readonly id: number; readonly publicKey: Uint8Array }[],
  b: readonly { readonly id: number; readonly publicKey: Uint8Array }[],
): boolean {
  const byId = new Map(b.map((preKey) => [preKey.id, preKey.publicKey]));
  return (
    a.length === b.length &&
    byId.size === b.length &&
    a.every((preKey) => {
      const other = byId.get(preKey.id);
      return other !== undefined && sameBytes(other, preKey.publicKey);
    })
  );
}

/** Whether an OMEMO 0.3 bundle read from the server is this one (prekeys in any order). */
export function sameBundle(published: OmemoBundle, bundle: OmemoBundle): boolean {
  return (
    sameBytes(published.identityKey, bundle.identityKey) &&
    published.signedPreKey.id === bundle.signedPreKey.id &&
    sameBytes(published.signedPreKey.publicKey, bundle.signedPreKey.publicKey) &&
    sameBytes(published.signedPreKey.signature, bundle.signedPreKey.signature) &&
    samePreKeys(published.preKeys, bundle.preKeys)
  );
}

/**
 * Whether an OMEMO 2 bundle read from the server carries this bundle's keys. Its signature is made
 * afresh at each publish (randomised), so it is checked, not compared.
 */
function isOmemo2FormOf(
  published: Omemo2Bundle,
  bundle: OmemoBundle,
  identity: OmemoIdentity,
): boolean {
  const raw = (key: Uint8Array) => (key.length === 33 ? key.subarray(1) : key);
  const identityKey = ed25519PublicKey(identity.privateKey);
  const signedKey = raw(bundle.signedPreKey.publicKey);
  return (
    sameBytes(published.identityKey, identityKey) &&
    published.signedPreKey.id === bundle.signedPreKey.id &&
    sameBytes(published.signedPreKey.publicKey, signedKey) &&
    verifyEd25519(identityKey, signedKey, published.signedPreKey.signature) &&
    samePreKeys(
      published.preKeys,
      bundle.preKeys.map((preKey) => ({ id: preKey.id, publicKey: raw(preKey.publicKey) })),
    )
  );
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
