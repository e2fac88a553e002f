// XEP-0384 OMEMO Encryption (legacy 0.3) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// The <encrypted> element and its payload cipher, as Conversations, Dino, Gajim and Monal send it:
//
//   <encrypted xmlns='eu.siacs.conversations.axolotl'>
//     <header sid='sender device'>
//       <key rid='recipient device' [prekey='true']>base64(Signal message)</key> …
//       <iv>base64(12-byte IV)</iv>
//     </header>
//     <payload>base64(AES-128-GCM ciphertext without its tag)</payload>
//   </encrypted>
//
// Each key element carries 32 bytes, the 16-byte AES key followed by the 16-byte GCM tag, encrypted
// with the Signal session of that device. Old senders put 16 bytes (key only) and leave the tag on
// the payload; both are accepted, as are 16-byte IVs (older Conversations), while 12 bytes are sent.
// No payload means a key-transport message: it only builds or repairs sessions.
import xml, { type Element } from '@xmpp/xml';
import { gcm } from '@noble/ciphers/aes.js';
import { HushError } from '../errors.ts';
import { decodeBase64Lenient, encodeBase64 } from '../util/base64.ts';
import { NS_OMEMO_LEGACY, isDeviceId } from './bundle.ts';
import type { RandomBytes } from './crypto-provider.ts';

export const NS_EME = 'urn:xmpp:eme:0';
export const NS_HINTS = 'urn:xmpp:hints';
export const FALLBACK_BODY =
  'I sent you an OMEMO encrypted message but your client doesn’t seem to support that. ' +
  'Find more information on https://conversations.im/omemo';

const KEY_LENGTH = 16;
const TAG_LENGTH = 16;
const IV_LENGTH = 12;

export interface EncryptedKey {
  readonly rid: number;
  readonly preKey: boolean;
  readonly data: Uint8Array;
}

export interface EncryptedElement {
  readonly sid: number;
  readonly keys: readonly EncryptedKey[];
  readonly iv: Uint8Array;
  /** Absent for a key-transport message. */
  readonly payload?: Uint8Array;
}

/**
 * The OMEMO element of a message: null when there is none, 'malformed' when there is one that cannot
 * be read (bad sid, base64 or IV): such a message is shown as undecryptable, never dropped.
 */
export function parseEncrypted(message: Element): EncryptedElement | null | 'malformed' {
  try {
    const encrypted = message.getChild('encrypted', NS_OMEMO_LEGACY);
    if (!encrypted) return null;
    const header = encrypted.getChild('header');
    const sid = Number(header?.attrs.sid);
    if (!header || !Number.isInteger(sid) || !isDeviceId(sid)) return 'malformed';
    const iv = decodeBase64Lenient(header.getChildText('iv') ?? '');
    if (!iv || (iv.length !== 12 && iv.length !== 16)) return 'malformed';
    const keys: EncryptedKey[] = [];
    for (const key of header.getChildren('key')) {
      const rid = Number(key.attrs.rid);
      const data = decodeBase64Lenient(key.text());
      // One unreadable key (meant for some other device) must not hide the rest. An unreadable key
      // for a known rid stays, empty, so its device reports the damage instead of "not for me".
      if (!Number.isInteger(rid) || !isDeviceId(rid)) continue;
      const preKey = key.attrs.prekey === 'true' || key.attrs.prekey === '1';
      keys.push({ rid, preKey, data: data ?? new Uint8Array(0) });
    }
    const payloadElement = encrypted.getChild('payload');
    if (!payloadElement) return { sid, keys, iv };
    const payload = decodeBase64Lenient(payloadElement.text());
    if (!payload) return 'malformed';
    return { sid, keys, iv, payload };
  } catch {
    return 'malformed';
  }
}

export function buildEncrypted(element: EncryptedElement): Element {
  return xml(
    'encrypted',
    { xmlns: NS_OMEMO_LEGACY },
    xml(
      'header',
      { sid: String(element.sid) },
      ...element.keys.map((key) =>
        xml(
          'key',
          key.preKey ? { rid: String(key.rid), prekey: 'true' } : { rid: String(key.rid) },
          encodeBase64(key.data),
        ),
      ),
      xml('iv', {}, encodeBase64(element.iv)),
    ),
    ...(element.payload ? [xml('payload', {}, encodeBase64(element.payload))] : []),
  );
}

/** Encrypts a body: the payload, the IV, and the 32 bytes of key material each device gets. */
export function encryptPayload(
  body: string,
  randomBytes: RandomBytes,
): { payload: Uint8Array; iv: Uint8Array; keyMaterial: Uint8Array } {
  const key = randomBytes(KEY_LENGTH);
  const iv = randomBytes(IV_LENGTH);
  const sealed = gcm(key, iv).encrypt(new TextEncoder().encode(body));
  const payload = sealed.slice(0, sealed.length - TAG_LENGTH);
  const keyMaterial = new Uint8Array(KEY_LENGTH + TAG_LENGTH);
  keyMaterial.set(key);
  keyMaterial.set(sealed.slice(sealed.length - TAG_LENGTH), KEY_LENGTH);
  return { payload, iv, keyMaterial };
}

/** Key material for a key-transport message: a fresh key and no payload. */
export function keyTransportMaterial(randomBytes: RandomBytes): {
  iv: Uint8Array;
  keyMaterial: Uint8Array;
} {
  return { iv: randomBytes(IV_LENGTH), keyMaterial: randomBytes(KEY_LENGTH + TAG_LENGTH) };
}

/**
 * Decrypts a payload; throws when the key material or the tag does not fit. Key material is exactly
 * 32 bytes (key and tag) or 16 (key; the tag on the payload): anything else is refused, not cut to
 * size, so a sender cannot smuggle bytes past the check.
 */
export function decryptPayload(
  keyMaterial: Uint8Array,
  iv: Uint8Array,
  payload: Uint8Array,
): string {
  let key: Uint8Array;
  let sealed: Uint8Array;
  if (keyMaterial.length === KEY_LENGTH + TAG_LENGTH) {
    key = keyMaterial.slice(0, KEY_LENGTH);
    sealed = new Uint8Array(payload.length + TAG_LENGTH);
    sealed.set(payload);
    sealed.set(keyMaterial.slice(KEY_LENGTH), payload.length);
  } else if (keyMaterial.length === KEY_LENGTH) {
    key = keyMaterial;
    sealed = payload;
  } else {
    throw new HushError(
      'Undecryptable',
      `The message key is ${keyMaterial.length} bytes; OMEMO uses 32 (or 16 from older clients).`,
    );
  }
  const plain = gcm(key, iv).decrypt(sealed);
  return new TextDecoder('utf-8', { fatal: true }).decode(plain);
}
