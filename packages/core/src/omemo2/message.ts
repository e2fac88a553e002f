// XEP-0384 OMEMO Encryption (OMEMO 2) §4.4-4.5 — https://xmpp.org/extensions/xep-0384.html
// The <encrypted xmlns='urn:xmpp:omemo:2'> element and its payload:
//   <encrypted><header sid='…'><keys jid='…'><key rid='…' kex='true'?>…</key></keys></header>
//     <payload>…</payload></encrypted>
// One <keys/> per recipient account; a key with kex='true' is an OMEMOKeyExchange (a session being
// built), otherwise an OMEMOAuthenticatedMessage. The payload is the SCE envelope (envelope.ts)
// encrypted with a fresh 32-byte key: HKDF-SHA-256 (zero salt, info "OMEMO Payload") -> 80 bytes:
// AES-256-CBC key, HMAC-SHA-256 key, IV; what travels in the ratchet is the key and the HMAC of the
// ciphertext cut to 16 bytes. A message without payload (key transport, to complete or repair a
// session) carries 32 zero bytes, as python-twomemo's. Reading never throws: null when the stanza has
// no such element, 'malformed' when it cannot be used.
import xml, { type Element } from '@xmpp/xml';
import { cbc } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64Lenient, encodeBase64 } from '../util/base64.ts';
import { bareJid } from '../util/jid.ts';
import type { RandomBytes } from '../util/random.ts';
import { parseId } from '../omemo/bundle.ts';
import { equalBytes } from '../omemo/bytes.ts';
import { NS_OMEMO2 } from './bundle.ts';

const PAYLOAD_INFO = new TextEncoder().encode('OMEMO Payload');
const KEY_LENGTH = 32;
const TAG_LENGTH = 16;

export interface Omemo2Key {
  readonly jid: string;
  readonly rid: number;
  readonly kex: boolean;
  readonly data: Uint8Array;
}

export interface Omemo2Encrypted {
  readonly sid: number;
  readonly keys: readonly Omemo2Key[];
  readonly payload?: Uint8Array;
}

export function buildEncrypted2(encrypted: Omemo2Encrypted): Element {
  const byJid = new Map<string, Omemo2Key[]>();
  for (const key of encrypted.keys) {
    const jid = bareJid(key.jid);
    byJid.set(jid, [...(byJid.get(jid) ?? []), key]);
  }
  return xml(
    'encrypted',
    { xmlns: NS_OMEMO2 },
    xml(
      'header',
      { sid: String(encrypted.sid) },
      ...[...byJid].map(([jid, keys]) =>
        xml(
          'keys',
          { jid },
          ...keys.map((key) =>
            xml(
              'key',
              { rid: String(key.rid), ...(key.kex ? { kex: 'true' } : {}) },
              encodeBase64(key.data),
            ),
          ),
        ),
      ),
    ),
    ...(encrypted.payload ? [xml('payload', {}, encodeBase64(encrypted.payload))] : []),
  );
}

export function parseEncrypted2(message: Element): Omemo2Encrypted | null | 'malformed' {
  try {
    const encrypted = message.getChild('encrypted', NS_OMEMO2);
    if (!encrypted) return null;
    const header = encrypted.getChild('header');
    const sid = parseId(header?.attrs.sid as string | undefined);
    if (!header || sid === null) return 'malformed';
    const keys: Omemo2Key[] = [];
    for (const keysElement of header.getChildren('keys')) {
      const jid = keysElement.attrs.jid;
      if (typeof jid !== 'string' || jid === '') continue;
      for (const key of keysElement.getChildren('key')) {
        const rid = parseId(key.attrs.rid as string | undefined);
        const data = decodeBase64Lenient(key.text());
        if (rid === null) continue;
        const kex = key.attrs.kex === 'true' || key.attrs.kex === '1';
        keys.push({ jid: bareJid(jid), rid, kex, data: data ?? new Uint8Array(0) });
      }
    }
    const payloadElement = encrypted.getChild('payload');
    if (!payloadElement) return { sid, keys };
    const payload = decodeBase64Lenient(payloadElement.text());
    if (!payload || payload.length === 0 || payload.length % 16 !== 0) return 'malformed';
    return { sid, keys, payload };
  } catch {
    return 'malformed';
  }
}

function payloadKeys(key: Uint8Array): { aes: Uint8Array; mac: Uint8Array; iv: Uint8Array } {
  const out = hkdf(sha256, key, new Uint8Array(32), PAYLOAD_INFO, 80);
  return { aes: out.subarray(0, 32), mac: out.subarray(32, 64), iv: out.subarray(64, 80) };
}

/** Encrypts the envelope: the payload, and the 48 bytes (key, tag) the ratchet carries. */
export function encryptPayload2(
  plaintext: Uint8Array,
  randomBytes: RandomBytes,
): { payload: Uint8Array; keyMaterial: Uint8Array } {
  const key = randomBytes(KEY_LENGTH);
  const { aes, mac, iv } = payloadKeys(key);
  const payload = cbc(aes, iv).encrypt(plaintext);
  const keyMaterial = new Uint8Array(KEY_LENGTH + TAG_LENGTH);
  keyMaterial.set(key);
  keyMaterial.set(hmac(sha256, mac, payload).subarray(0, TAG_LENGTH), KEY_LENGTH);
  return { payload, keyMaterial };
}

/** What an empty (key-transport) message carries in the ratchet. */
export const EMPTY_KEY_MATERIAL = new Uint8Array(KEY_LENGTH);

/** The envelope's bytes; throws an Error when the tag does not match or the padding is bad. */
export function decryptPayload2(keyMaterial: Uint8Array, payload: Uint8Array): Uint8Array {
  if (keyMaterial.length !== KEY_LENGTH + TAG_LENGTH) {
    throw new Error('the key material is not 48 bytes');
  }
  const { aes, mac, iv } = payloadKeys(keyMaterial.subarray(0, KEY_LENGTH));
  const tag = hmac(sha256, mac, payload).subarray(0, TAG_LENGTH);
  if (!equalBytes(tag, keyMaterial.subarray(KEY_LENGTH))) {
    throw new Error('the payload was altered (its tag does not match)');
  }
  return cbc(aes, iv).decrypt(payload);
}
