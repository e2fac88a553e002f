// Incoming message stanzas -> typed values. Network input never throws from here: anything that is
// not a well-formed one-to-one message, receipt, marker, chat state or error yields null.
// Security: carbons (XEP-0280 §11) and archive results (XEP-0313 §8) are only believed when they come
// from the account itself, and a stanza-id only when the account's server stamped it (XEP-0359 §7).
import type { Element } from '@xmpp/xml';
import {
  NS_CARBONS,
  NS_CHATSTATES,
  NS_DELAY,
  NS_FORWARD,
  NS_MAM,
  NS_MARKERS,
  NS_RECEIPTS,
  NS_SID,
  NS_STANZAS,
} from './namespaces.ts';
import type { ChatState, MessageSource, ParsedIncoming } from './types.ts';

const CHAT_STATES: readonly ChatState[] = ['active', 'composing', 'paused', 'inactive', 'gone'];

import { bareJid } from '../util/jid.ts';

export { bareJid };

function timestampOf(...elements: (Element | undefined)[]): number | undefined {
  for (const element of elements) {
    const stamp = element?.getChild('delay', NS_DELAY)?.attrs.stamp;
    const ms = stamp ? Date.parse(stamp) : NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

function unwrap(
  stanza: Element,
  account: string,
): {
  message: Element;
  source: MessageSource;
  archiveId?: string;
  outer?: Element | undefined;
} | null {
  const from = stanza.attrs.from;
  const fromAccount = from === undefined || bareJid(from) === account;
  const carbon = stanza.getChild('received', NS_CARBONS) ?? stanza.getChild('sent', NS_CARBONS);
  if (carbon) {
    if (!fromAccount) return null; // a forged carbon from someone else
    const message = carbon.getChild('forwarded', NS_FORWARD)?.getChild('message');
    return message ? { message, source: 'carbon' } : null;
  }
  const result = stanza.getChild('result', NS_MAM);
  if (result) {
    if (!fromAccount) return null; // archive results come from the account's own archive only
    const forwarded = result.getChild('forwarded', NS_FORWARD);
    const message = forwarded?.getChild('message');
    if (!message) return null;
    return {
      message,
      source: 'archive',
      ...(result.attrs.id ? { archiveId: result.attrs.id } : {}),
      outer: forwarded,
    };
  }
  return { message: stanza, source: 'live' };
}

/**
 * A receipt, a displayed marker or a chat state among `elements` (a stanza's children, or the content
 * an encryption carried), from the message `from`; null when there is none. A chat state counts only
 * live and from the peer.
 */
export function signalOf(
  elements: readonly Element[],
  from: { readonly peer: string; readonly source: MessageSource; readonly direction: 'in' | 'out' },
): ParsedIncoming | null {
  const { peer, source, direction } = from;
  const find = (name: string, ns: string) =>
    elements.find((element) => element.name === name && element.getNS() === ns);
  const receipt = find('received', NS_RECEIPTS)?.attrs.id;
  if (typeof receipt === 'string' && receipt)
    return { kind: 'receipt', peer, id: receipt, source, direction };
  const displayed = find('displayed', NS_MARKERS)?.attrs.id;
  if (typeof displayed === 'string' && displayed)
    return { kind: 'displayed', peer, id: displayed, source, direction };
  const state = CHAT_STATES.find((name) => find(name, NS_CHATSTATES));
  if (state && source === 'live' && direction === 'in') return { kind: 'chat-state', peer, state };
  return null;
}

export function parseIncoming(stanza: Element, accountJid: string): ParsedIncoming | null {
  try {
    if (!stanza.is('message')) return null;
    const account = bareJid(accountJid);
    const unwrapped = unwrap(stanza, account);
    if (!unwrapped) return null;
    const { message, source } = unwrapped;
    const from = message.attrs.from ?? (source === 'live' ? undefined : accountJid);
    const to = message.attrs.to ?? accountJid;
    if (!from) return null;
    const direction = bareJid(from) === account ? 'out' : 'in';
    const peer = bareJid(direction === 'out' ? to : from);
    if (peer === '' || peer === account) return null;

    if (message.attrs.type === 'error') {
      const error = message.getChild('error');
      const condition = error
        ?.getChildElements()
        .find((child) => child.getNS() === NS_STANZAS && child.name !== 'text');
      return {
        kind: 'error',
        peer,
        ...(message.attrs.id ? { id: message.attrs.id } : {}),
        condition: condition?.name ?? 'undefined-condition',
        ...(error?.getChildText('text', NS_STANZAS)
          ? { text: error.getChildText('text', NS_STANZAS) ?? '' }
          : {}),
      };
    }
    if (message.attrs.type === 'groupchat') return null; // one-to-one only

    const body = message.getChildText('body') ?? undefined;
    const state = CHAT_STATES.find((name) => message.getChild(name, NS_CHATSTATES));
    // An encrypted message has no plaintext body but still is a message (its payload is for the hook).
    const hasPayload =
      body !== undefined || message.getChildElements().some((child) => child.name === 'encrypted');

    if (!hasPayload) return signalOf(message.getChildElements(), { peer, source, direction });

    const originId = message.getChild('origin-id', NS_SID)?.attrs.id;
    const serverStanzaId = message
      .getChildren('stanza-id', NS_SID)
      .find((element) => element.attrs.by !== undefined && bareJid(element.attrs.by) === account)
      ?.attrs.id;
    const stanzaId = unwrapped.archiveId ?? serverStanzaId;
    const timestamp = timestampOf(unwrapped.outer, message, stanza);
    return {
      kind: 'chat',
      source,
      direction,
      peer,
      from,
      ...(body !== undefined ? { body } : {}),
      ...(message.attrs.id ? { id: message.attrs.id } : {}),
      ...(originId ? { originId } : {}),
      ...(stanzaId ? { stanzaId } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
      requestsReceipt: message.getChild('request', NS_RECEIPTS) !== undefined,
      markable: message.getChild('markable', NS_MARKERS) !== undefined,
      ...(state ? { chatState: state } : {}),
      element: message,
    };
  } catch {
    // A stanza shaped in a way no check above foresaw: ignore it rather than break the session.
    return null;
  }
}
