import type { XmppSession } from '../xmpp/session.ts';

/** RFC 6121 §2.1.2.5: who sees whose presence. 'to': we see theirs; 'from': they see ours. */
export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface Contact {
  /** Bare JID, lower case. */
  readonly jid: string;
  readonly name?: string;
  readonly subscription: Subscription;
  /** We asked to see their presence and they have not answered yet (ask='subscribe'). */
  readonly ask: boolean;
  /** We pre-approved their request to see ours (RFC 6121 §3.4, approved='true'). */
  readonly approved: boolean;
  readonly groups: readonly string[];
}

/** Someone not in the roster asked to see our presence; answer with approve() or deny(). */
export interface SubscriptionRequest {
  readonly jid: string;
}

export interface PresenceChange {
  /** Bare JID. */
  readonly jid: string;
  /** Whether any of the contact's devices is online. */
  readonly available: boolean;
}

export interface ContactsDeps {
  readonly session: XmppSession;
  /**
   * Whether add() pre-approves the contact's subscription (RFC 6121 §3.4). A client may only do
   * that when the server advertises urn:xmpp:features:pre-approval; Hush's Prosody does, and
   * xmpp.js keeps stream features to itself, so this is configuration. Defaults to true.
   */
  readonly preApproval?: boolean;
}
