// XEP-0420 Stanza Content Encryption — https://xmpp.org/extensions/xep-0420.html
// XEP-0384 OMEMO Encryption (OMEMO 2) §4.4, its SCE profile — https://xmpp.org/extensions/xep-0384.html
// What OMEMO 2 encrypts: not a bare body but an envelope,
//   <envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>…</body></content>
//     <rpad>…</rpad><from jid='…'/><time stamp='…'/></envelope>
// The affix elements are what makes it safe to take elements out of it: <from/> names the sender's
// bare JID, so a message cannot be replayed as if another account wrote it (the stanza's from is the
// server's word, the envelope's the sender's); <rpad/> hides the length of short messages (0..200
// random characters); <time/> says when it was written.
// Reading refuses (a typed Undecryptable error, nothing else lost: the stanza is kept as it came):
// text that is not XML or not an envelope, no <content/>, a missing or repeated <rpad/> or one with
// elements in it, and a <from/> that is missing or names someone other than the sender. A longer
// <rpad/> than Hush writes (MAX_RPAD) is read: XEP-0420 0.5.0 says it must not be refused. Content elements other than the body are handed on (files, XEP-0447).
import xml, { type Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { HushError } from '../errors.ts';
import { bareJid } from '../util/jid.ts';
import type { RandomBytes } from '../util/random.ts';
import { randomInt } from '../omemo/bytes.ts';

export const NS_SCE = 'urn:xmpp:sce:1';
const NS_CLIENT = 'jabber:client';
export const MAX_RPAD = 200;
const RPAD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export interface EnvelopeContent {
  readonly body?: string;
  /** Other elements of <content/>, as sent. */
  readonly elements: readonly Element[];
  /** The sender's bare JID, as <from/> names it. */
  readonly from: string;
  /** Milliseconds since 1970, when <time/> is there and readable. */
  readonly time?: number;
}

/** Why an envelope was refused; `code` is always Undecryptable. */
export class EnvelopeError extends HushError {
  readonly reason: 'Malformed' | 'BadPadding' | 'WrongSender';

  constructor(reason: EnvelopeError['reason'], message: string) {
    super('Undecryptable', message);
    this.name = 'EnvelopeError';
    this.reason = reason;
  }
}

function padding(randomBytes: RandomBytes): string {
  const length = randomInt(randomBytes, 0, MAX_RPAD);
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += RPAD_ALPHABET[byte & 63];
  return text;
}

/** The envelope for a message from `from` (bare JID taken) with `body` and other `elements`. */
export function buildEnvelope(
  content: { readonly body?: string; readonly elements?: readonly Element[] },
  from: string,
  now: number,
  randomBytes: RandomBytes,
): Uint8Array {
  const envelope = xml(
    'envelope',
    { xmlns: NS_SCE },
    xml(
      'content',
      {},
      ...(content.body === undefined ? [] : [xml('body', { xmlns: NS_CLIENT }, content.body)]),
      ...(content.elements ?? []),
    ),
    xml('rpad', {}, padding(randomBytes)),
    xml('from', { jid: bareJid(from) }),
    xml('time', { stamp: new Date(now).toISOString() }),
  );
  return new TextEncoder().encode(envelope.toString());
}

/** Decrypted bytes -> what the envelope carries, or EnvelopeError (see the header). */
export function readEnvelope(bytes: Uint8Array, sender: string): EnvelopeContent {
  let envelope: Element;
  try {
    envelope = parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new EnvelopeError('Malformed', 'The decrypted OMEMO 2 content is not XML.');
  }
  if (!envelope.is('envelope', NS_SCE)) {
    throw new EnvelopeError('Malformed', 'The decrypted OMEMO 2 content is not an SCE envelope.');
  }
  const contents = envelope.getChildren('content');
  const content = contents[0];
  if (!content || contents.length > 1) {
    throw new EnvelopeError('Malformed', 'The SCE envelope has no single <content/>.');
  }
  const rpads = envelope.getChildren('rpad');
  const rpad = rpads[0];
  if (!rpad || rpads.length > 1) {
    throw new EnvelopeError('BadPadding', 'The SCE envelope has no single <rpad/>.');
  }
  if (rpad.getChildElements().length > 0) {
    throw new EnvelopeError('BadPadding', "The SCE envelope's <rpad/> holds elements.");
  }
  const froms = envelope.getChildren('from');
  const fromJid = froms.length === 1 ? froms[0]?.attrs.jid : undefined;
  if (typeof fromJid !== 'string' || fromJid === '') {
    throw new EnvelopeError('WrongSender', 'The SCE envelope does not name its sender.');
  }
  if (bareJid(fromJid) !== bareJid(sender)) {
    throw new EnvelopeError(
      'WrongSender',
      `The SCE envelope says it is from ${bareJid(fromJid)}, but ${bareJid(sender)} sent it.`,
    );
  }
  const bodies = content.getChildren('body').filter((body) => {
    const ns = body.getNS();
    return ns === undefined || ns === NS_CLIENT;
  });
  const stamp = envelope.getChild('time')?.attrs.stamp;
  const time = typeof stamp === 'string' ? Date.parse(stamp) : NaN;
  const body = bodies[0]?.text();
  return {
    ...(body === undefined ? {} : { body }),
    elements: content.getChildElements().filter((child) => !bodies.includes(child)),
    from: bareJid(fromJid),
    ...(Number.isFinite(time) ? { time } : {}),
  };
}
