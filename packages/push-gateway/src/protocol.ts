// XEP-0357 Push Notifications — https://xmpp.org/extensions/xep-0357.html
// The stanzas the gateway reads and writes: the server's publish of a notification (the App Server
// side of XEP-0357), and Hush's registration of a device's push endpoint, which gives the device
// the node and secret it then enables on its server.
//
// Registration follows Conversations' app server (p2): the device registers its push token with the
// app server, which answers with a node and a secret; the device then sends XEP-0357 <enable/> to
// its own server with that node and the secret in publish-options, and the server's every publish
// carries the secret back. Conversations uses an ad-hoc command (XEP-0050) for the first step; Hush
// uses one IQ of its own namespace, as the gateway has exactly one question to answer:
//
//   <iq type='set' to='push.example.org'>
//     <register xmlns='urn:hush:push:0' provider='webpush'>
//       <endpoint>https://push.example.net/…</endpoint>
//       <keys p256dh='…' auth='…'/>             (Web Push; optional for UnifiedPush)
//       <words title='Hush' body='Новое сообщение'/>   (Expo; optional)
//     </register>
//   </iq>
//   → <registered xmlns='urn:hush:push:0' node='…' secret='…'/>
//
// <words/> is what a phone shows for this device's wake-ups, in the app's language: the title and
// body of the Expo notification (iOS and Android show it without the app running, so the app cannot
// translate it then). Trimmed, non-empty, title at most 64 and body at most 256 characters, no
// control characters, as public/sw.js takes the web's words; anything else is a bad-request. Without
// it a phone shows English ("Hush", "New message"). The device registers again when its language
// changes. Web Push and UnifiedPush ignore it: their service worker or app has the words itself.
//
//   <unregister xmlns='urn:hush:push:0' node='…' secret='…'/>      (log-out, a new token)
//   <iq type='get'><info xmlns='urn:hush:push:0'/></iq>
//   → <info xmlns='urn:hush:push:0' vapid-public-key='…'/>           (what a browser subscribes with)
//
// The gateway never learns which account a node belongs to from a publish (the server sends it from
// its own domain), and it keeps no address beside an endpoint.
import { xml, type Element } from '@xmpp/component';

export const NS_PUSH = 'urn:xmpp:push:0';
export const NS_HUSH_PUSH = 'urn:hush:push:0';
export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_DATA = 'jabber:x:data';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
export const PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
export const PUSH_SUMMARY = 'urn:xmpp:push:summary';

export type Provider = 'expo' | 'webpush' | 'unifiedpush';
export const PROVIDERS: readonly Provider[] = ['expo', 'webpush', 'unifiedpush'];

export interface RegisterRequest {
  readonly provider: Provider;
  /** An Expo push token, or the https URL of a Web Push subscription or UnifiedPush endpoint. */
  readonly endpoint: string;
  /** RFC 8291 keys of a Web Push subscription (base64url), also used for UnifiedPush when given. */
  readonly keys?: { readonly p256dh: string; readonly auth: string };
  /** What a phone shows for a wake-up, in the app's language (English when not given). */
  readonly words?: WakeUpWords;
}

/** The title and body of a visible wake-up. */
export interface WakeUpWords {
  readonly title: string;
  readonly body: string;
}

export interface Publish {
  readonly node: string;
  readonly secret: string | undefined;
  /** The server marked it worth showing (a message with a body or encrypted content). */
  readonly important: boolean;
}

/** A request the gateway refuses, with the stanza error condition it answers. */
export class BadRequest extends Error {
  readonly condition: string;
  constructor(message: string, condition = 'bad-request') {
    super(message);
    this.name = 'BadRequest';
    this.condition = condition;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const EXPO_TOKEN = /^Expo(nent)?PushToken\[[A-Za-z0-9_-]{10,200}\]$/;
const MAX_ENDPOINT = 1024;
const MAX_TITLE = 64;
const MAX_BODY = 256;
// C0, DEL and C1: a notification's words are one plain line each.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function wordsText(value: string | undefined, max: number, name: string): string {
  const text = (value ?? '').trim();
  if (text === '' || text.length > max || CONTROL.test(text))
    throw new BadRequest(
      `words: ${name} must be 1 to ${max} characters with no control characters`,
    );
  return text;
}

/** Reads <words title='…' body='…'/>; undefined when absent, BadRequest when unusable. */
function parseWords(element: Element | undefined): WakeUpWords | undefined {
  if (!element) return undefined;
  return {
    title: wordsText(element.attrs.title, MAX_TITLE, 'title'),
    body: wordsText(element.attrs.body, MAX_BODY, 'body'),
  };
}

/** Reads <register/>; throws BadRequest on anything malformed. */
export function parseRegister(element: Element): RegisterRequest {
  const provider = element.attrs.provider;
  if (!PROVIDERS.includes(provider as Provider))
    throw new BadRequest(`unknown provider '${provider ?? ''}'`);
  const endpoint = (element.getChildText('endpoint') ?? '').trim();
  if (endpoint === '' || endpoint.length > MAX_ENDPOINT)
    throw new BadRequest('missing or oversized endpoint');
  const keysElement = element.getChild('keys');
  const keys = keysElement
    ? { p256dh: keysElement.attrs.p256dh ?? '', auth: keysElement.attrs.auth ?? '' }
    : undefined;
  if (keys && (!BASE64URL.test(keys.p256dh) || !BASE64URL.test(keys.auth)))
    throw new BadRequest('keys must be base64url');
  const words = parseWords(element.getChild('words'));
  if (provider === 'expo') {
    if (!EXPO_TOKEN.test(endpoint)) throw new BadRequest('not an Expo push token');
    return { provider, endpoint, ...(words ? { words } : {}) };
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new BadRequest('endpoint is not a URL');
  }
  // Only https: a wake-up never travels in the clear, and the gateway is no relay to local plain
  // HTTP services.
  if (url.protocol !== 'https:') throw new BadRequest('endpoint must be an https URL');
  if (provider === 'webpush' && !keys) throw new BadRequest('Web Push needs p256dh and auth keys');
  return { provider: provider as Provider, endpoint: url.toString(), ...(keys ? { keys } : {}) };
}

function formFields(form: Element | undefined): Map<string, string> {
  const fields = new Map<string, string>();
  for (const field of form?.getChildren('field') ?? []) {
    const name = field.attrs.var;
    if (name) fields.set(name, field.getChildText('value') ?? '');
  }
  return fields;
}

/** Reads the server's <pubsub><publish node='…'>…</publish><publish-options/></pubsub>. */
export function parsePublish(pubsub: Element): Publish {
  const publish = pubsub.getChild('publish');
  const node = publish?.attrs.node;
  if (!publish || !node) throw new BadRequest('publish without a node');
  const notification = publish.getChild('item')?.getChild('notification', NS_PUSH);
  if (!notification) throw new BadRequest('publish without a notification', 'bad-request');
  const summary = formFields(notification.getChild('x', NS_DATA));
  const options = formFields(pubsub.getChild('publish-options')?.getChild('x', NS_DATA));
  if (options.size > 0 && options.get('FORM_TYPE') !== PUBLISH_OPTIONS)
    throw new BadRequest('publish-options of another form');
  const body = summary.get('last-message-body');
  return { node, secret: options.get('secret'), important: body !== undefined && body !== '' };
}

export function stanzaError(
  type: 'cancel' | 'modify' | 'auth' | 'wait',
  condition: string,
  text?: string,
): Element {
  return xml(
    'error',
    { type },
    xml(condition, { xmlns: NS_STANZAS }),
    text ? xml('text', { xmlns: NS_STANZAS }, text) : null,
  );
}
