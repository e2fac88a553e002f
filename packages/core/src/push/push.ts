// XEP-0357 Push Notifications — https://xmpp.org/extensions/xep-0357.html
// Push for this device: registered with the account's push gateway, enabled on the account's
// server, renewed when the push service hands out a new token, enabled again on every new stream
// (the server ties push to a session as well as to the account: a session that is held after the
// app went away is pushed for only when it enabled push), and disabled at log-out and before the
// account is deleted.
import type { Element } from '@xmpp/xml';
import type { XmppError } from '@xmpp/client';
import { HushError } from '../errors.ts';
import { splitJid, type XmppSession } from '../xmpp/session.ts';
import { bareJid } from '../util/jid.ts';
import {
  NS_HUSH_PUSH,
  buildDisable,
  buildEnable,
  buildInfoRequest,
  buildRegister,
  buildUnregister,
} from './build.ts';
import type { PushRegistration, PushStateStore, PushTarget } from './types.ts';

export interface PushOptions {
  readonly session: XmppSession;
  readonly state: PushStateStore;
  /** The gateway's address; push.DOMAIN of the account unless given. */
  readonly gateway?: string;
}

function pushError(error: unknown, what: string): HushError {
  if (error instanceof HushError) return error;
  const { condition, text, name } = (error ?? {}) as XmppError;
  const detail = text ? ` (${text})` : '';
  if (name === 'TimeoutError')
    return new HushError('Timeout', `No answer while trying to ${what}.`, { cause: error });
  switch (condition) {
    case 'service-unavailable':
    case 'remote-server-not-found':
    case 'feature-not-implemented':
    case 'forbidden':
    case 'not-allowed':
      return new HushError(
        'NotAllowed',
        `This server does not offer push notifications${detail}.`,
        {
          cause: error,
        },
      );
    default:
      return new HushError(
        'ProtocolError',
        `Could not ${what}: ${condition ?? String(error)}${detail}.`,
        {
          cause: error,
        },
      );
  }
}

// Other words (the person switched language) are a new target as a new token is: the gateway keeps
// the words with the registration, so only registering again changes what the phone shows.
const sameTarget = (a: PushTarget, b: PushTarget) =>
  a.provider === b.provider &&
  a.endpoint === b.endpoint &&
  a.keys?.p256dh === b.keys?.p256dh &&
  a.keys?.auth === b.keys?.auth &&
  a.words?.title === b.words?.title &&
  a.words?.body === b.words?.body;

export class Push {
  readonly gateway: string;
  readonly #session: XmppSession;
  readonly #state: PushStateStore;
  readonly #onOnline = () => void this.renew().catch(() => undefined);
  // One change at a time: an enable racing a disable must not leave a node enabled.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: PushOptions) {
    this.#session = options.session;
    this.#state = options.state;
    this.gateway = options.gateway ?? `push.${splitJid(bareJid(options.session.jid)).domain}`;
  }

  /** Enables push again on every new stream (a resumed one keeps it). */
  start(): void {
    this.#session.client.on('online', this.#onOnline);
  }

  close(): void {
    this.#session.client.removeListener('online', this.#onOnline);
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #request(iq: Element, what: string): Promise<Element> {
    try {
      return await this.#session.request(iq);
    } catch (error) {
      throw pushError(error, what);
    }
  }

  /** The key a browser subscribes with (its applicationServerKey), from the gateway. */
  async vapidPublicKey(): Promise<string> {
    const info = await this.#request(buildInfoRequest(this.gateway), 'ask the push gateway');
    const key = info.getChild('info', NS_HUSH_PUSH)?.attrs['vapid-public-key'];
    if (!key) throw new HushError('NotAllowed', 'The push gateway offers no Web Push.');
    return key;
  }

  /** The registration in use, if push is on. */
  current(): Promise<PushRegistration | undefined> {
    return this.#state.load();
  }

  /**
   * Turns push on for `target`, or keeps it on: a new target (the push service's token changed, or
   * the words a phone shows did) gets a new registration, and the old one is disabled and
   * unregistered.
   */
  enable(target: PushTarget): Promise<PushRegistration> {
    return this.#serially(async () => {
      const old = await this.#state.load();
      if (old && old.gateway === this.gateway && sameTarget(old, target)) {
        await this.#request(buildEnable(old), 'enable push notifications');
        return old;
      }
      const answer = await this.#request(buildRegister(this.gateway, target), 'register for push');
      const registered = answer.getChild('registered', NS_HUSH_PUSH);
      const node = registered?.attrs.node;
      const secret = registered?.attrs.secret;
      if (!node || !secret)
        throw new HushError('ProtocolError', 'The push gateway answered without a node.');
      const registration: PushRegistration = { ...target, gateway: this.gateway, node, secret };
      try {
        await this.#request(buildEnable(registration), 'enable push notifications');
      } catch (error) {
        // Not enabled: the gateway need not keep an endpoint nothing will publish to.
        await this.#session.request(buildUnregister(registration)).catch(() => undefined);
        throw error;
      }
      await this.#state.save(registration);
      if (old) await this.#forget(old);
      return registration;
    });
  }

  /** Enables the saved registration again (a new stream); nothing when push is off. */
  renew(): Promise<void> {
    return this.#serially(async () => {
      const current = await this.#state.load();
      if (current) await this.#request(buildEnable(current), 'enable push notifications');
    });
  }

  /**
   * Turns push off: the server stops publishing, the gateway forgets the endpoint. At log-out and
   * before the account is deleted. Fails (and keeps the registration, to try again) when the
   * server cannot be told.
   */
  disable(): Promise<void> {
    return this.#serially(async () => {
      const current = await this.#state.load();
      if (!current) return;
      await this.#request(buildDisable(current), 'disable push notifications');
      await this.#state.save(undefined);
      await this.#session.request(buildUnregister(current)).catch(() => undefined);
    });
  }

  async #forget(old: PushRegistration): Promise<void> {
    // Best effort: the server drops a node the gateway no longer knows after its errors anyway.
    await this.#session.request(buildDisable(old)).catch(() => undefined);
    await this.#session.request(buildUnregister(old)).catch(() => undefined);
  }
}
