// RFC 6121 §3 Managing Presence Subscriptions — https://www.rfc-editor.org/rfc/rfc6121#section-3
// Who asked to see this account's presence, and the answers: approve (or pre-approve, §3.4), deny.
// Someone already in the roster who asks is answered at once; anyone else waits for the person.
import xml from '@xmpp/xml';
import { splitJid, type XmppSession } from '../xmpp/session.ts';
import type { Subscription, SubscriptionRequest } from './types.ts';

/** Stream feature of servers that accept subscription pre-approvals (RFC 6121 §3.4). */
export const NS_PRE_APPROVAL = 'urn:xmpp:features:pre-approval';

export class SubscriptionRequests {
  readonly #session: XmppSession;
  readonly #account: string;
  readonly #preApproval: boolean;
  /** The roster's subscription for a bare JID; undefined when it is not in the roster. */
  readonly #subscriptionOf: (jid: string) => Subscription | undefined;
  readonly #pending = new Set<string>();
  readonly #listeners = new Set<(request: SubscriptionRequest) => void>();

  constructor(deps: {
    readonly session: XmppSession;
    /** The account's bare JID. */
    readonly account: string;
    readonly preApproval: boolean;
    readonly subscriptionOf: (jid: string) => Subscription | undefined;
  }) {
    this.#session = deps.session;
    this.#account = deps.account;
    this.#preApproval = deps.preApproval;
    this.#subscriptionOf = deps.subscriptionOf;
  }

  /** Requests from people not in the roster, waiting for an answer. */
  requests(): readonly SubscriptionRequest[] {
    return [...this.#pending].map((jid) => ({ jid }));
  }

  onRequest(listener: (request: SubscriptionRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Drops a pending request without answering it (the contact was removed or blocked). */
  forget(jid: string): void {
    this.#pending.delete(jid);
  }

  /** Turns down a pending request (RFC 6121 §3.2.1). */
  async deny(jid: string): Promise<void> {
    this.#pending.delete(jid);
    await this.#session.send(xml('presence', { type: 'unsubscribed', to: jid }));
  }

  /** Lets the contact see our presence, unless they already do. */
  async approveIfNeeded(jid: string): Promise<void> {
    const subscription = this.#subscriptionOf(jid);
    if (subscription === 'from' || subscription === 'both') return;
    if (!this.#preApproval && !this.#pending.has(jid)) return;
    this.#pending.delete(jid);
    await this.#session.send(xml('presence', { type: 'subscribed', to: jid }));
  }

  /** A presence of type 'subscribe' from `jid` (bare). */
  async received(jid: string): Promise<void> {
    if (jid === this.#account || splitJid(jid).local === '') return;
    const subscription = this.#subscriptionOf(jid);
    if (subscription !== undefined) {
      // Someone we added (or pre-approved) asks back: this is what adding them meant.
      if (subscription !== 'from' && subscription !== 'both') {
        await this.#session.send(xml('presence', { type: 'subscribed', to: jid }));
      }
      return;
    }
    if (this.#pending.has(jid)) return;
    this.#pending.add(jid);
    for (const listener of this.#listeners) listener({ jid });
  }
}
