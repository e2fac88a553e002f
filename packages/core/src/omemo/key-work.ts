// This device's key maintenance: prekeys refilled and the signed prekey rotated when due (keys.ts
// decides), and the bundle republished when anything changed. One run at a time: a PreKey message
// that used a one-time prekey and a reconnect may both ask for it at once.
import type { XmppSession } from '../xmpp/session.ts';
import type { OmemoStore } from '../storage/types.ts';
import type { RandomBytes } from '../util/random.ts';
import { currentBundle, maintainKeys, type KeyPolicy } from './keys.ts';
import { publishBundle } from './pep.ts';

export interface KeyWorkOptions {
  readonly session: XmppSession;
  readonly store: OmemoStore;
  readonly account: string;
  readonly policy: KeyPolicy;
  readonly now: () => number;
  readonly randomBytes: RandomBytes;
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
        await publishBundle(
          session,
          identity.deviceId,
          await currentBundle(store, account, identity),
        );
      }
    });
    this.#queue = work.catch(() => undefined);
    await work;
  }
}
