// XEP-0384 OMEMO Encryption (legacy 0.3, eu.siacs.conversations.axolotl) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// The two PEP payloads of legacy OMEMO, object ⇄ element: the device list
// (<list xmlns='eu.siacs.conversations.axolotl'><device id='…'/></list>) and a device's bundle
// (identity key, signed prekey, one-time prekeys). Builders take local values and throw a HushError on
// invalid ones; parsers read the network and never throw: they return null for anything malformed.
import xml, { type Element } from '@xmpp/xml';
import { HushError } from '../errors.ts';

export const NS_OMEMO_LEGACY = 'eu.siacs.conversations.axolotl';
export const DEVICE_LIST_NODE = `${NS_OMEMO_LEGACY}.devicelist`;
export const BUNDLE_NODE_PREFIX = `${NS_OMEMO_LEGACY}.bundles:`;
/** Device and prekey ids are 31-bit unsigned integers, 0 excluded (libsignal's uint32 minus the sign bit). */
export const MAX_DEVICE_ID = 0x7fffffff;
/** The type byte libsignal puts before a Curve25519 public key (DJB_TYPE). */
export const DJB_KEY_TYPE = 0x05;
const SIGNATURE_LENGTH = 64;

export interface OmemoPreKeyPublic {
  readonly id: number;
  /** 33 bytes: 0x05 then the 32-byte Curve25519 key. */
  readonly publicKey: Uint8Array;
}

export interface OmemoSignedPreKeyPublic extends OmemoPreKeyPublic {
  /** XEdDSA signature by the identity key over `publicKey` (all 33 bytes), 64 bytes. */
  readonly signature: Uint8Array;
}

/** A device's bundle as a peer fetches it: all keys public, all in libsignal's 33-byte form. */
export interface OmemoBundle {
  readonly identityKey: Uint8Array;
  readonly signedPreKey: OmemoSignedPreKeyPublic;
  readonly preKeys: readonly OmemoPreKeyPublic[];
}

export function bundleNode(deviceId: number): string {
  return `${BUNDLE_NODE_PREFIX}${deviceId}`;
}

export function isDeviceId(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= MAX_DEVICE_ID;
}

/** A decimal id attribute as sent by the network -> the id, or null (no signs, spaces or exponents). */
export function parseId(value: string | undefined): number | null {
  if (value === undefined || !/^[0-9]{1,10}$/.test(value)) return null;
  const id = Number(value);
  return isDeviceId(id) ? id : null;
}

// RFC 4648 §4 base64, pure so that core runs unchanged where Buffer (browsers, React Native) or
// atob/btoa (older React Native engines) is missing.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Map([...ALPHABET].map((char, index) => [char, index]));

export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const triple = (a << 16) | (b << 8) | c;
    out += ALPHABET.charAt((triple >> 18) & 63) + ALPHABET.charAt((triple >> 12) & 63);
    out += i + 1 < bytes.length ? ALPHABET.charAt((triple >> 6) & 63) : '=';
    out += i + 2 < bytes.length ? ALPHABET.charAt(triple & 63) : '=';
  }
  return out;
}

/**
 * Base64 -> bytes, or null when it is not base64. Whitespace is skipped (some clients wrap long
 * values over lines) and padding is optional; bits left over in the last character must be zero, so
 * each byte string has exactly one accepted encoding apart from whitespace and padding.
 */
export function decodeBase64(text: string): Uint8Array | null {
  const compact = text.replace(/[\t\n\r ]/g, '');
  const body = compact.replace(/={1,2}$/, '');
  if (compact.length !== body.length && compact.length % 4 !== 0) return null;
  if (body.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of body) {
    const value = DECODE.get(char);
    if (value === undefined) return null;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/** A 32-byte raw or 33-byte typed (0x05…) Curve25519 public key -> the 33-byte form, or null. */
export function normalizePublicKey(key: Uint8Array): Uint8Array | null {
  if (key.length === 33 && key[0] === DJB_KEY_TYPE) return key;
  if (key.length === 32) {
    const typed = new Uint8Array(33);
    typed[0] = DJB_KEY_TYPE;
    typed.set(key, 1);
    return typed;
  }
  return null;
}

function requireKey(key: Uint8Array, what: string): Uint8Array {
  const typed = normalizePublicKey(key);
  if (!typed) {
    throw new HushError(
      'ProtocolError',
      `${what} is not a Curve25519 public key (32 or 33 bytes).`,
    );
  }
  return typed;
}

function requireId(id: number, what: string): string {
  if (!isDeviceId(id)) throw new HushError('ProtocolError', `${what} ${id} is not in 1..2^31-1.`);
  return String(id);
}

export function buildDeviceList(deviceIds: readonly number[]): Element {
  const unique = [...new Set(deviceIds)];
  return xml(
    'list',
    { xmlns: NS_OMEMO_LEGACY },
    ...unique.map((id) => xml('device', { id: requireId(id, 'Device id') })),
  );
}

/**
 * <list xmlns='eu.siacs.conversations.axolotl'> -> device ids, or null when it is not such a list.
 * A <device> without a valid id, or a repeated one, is skipped rather than failing the whole list:
 * one bad entry (written by some other client) must not make all of a contact's devices unreachable.
 */
export function parseDeviceList(element: Element): number[] | null {
  try {
    if (!element.is('list', NS_OMEMO_LEGACY)) return null;
    const ids = new Set<number>();
    for (const device of element.getChildren('device')) {
      const id = parseId(device.attrs.id);
      if (id !== null) ids.add(id);
    }
    return [...ids];
  } catch {
    return null;
  }
}

export function buildBundle(bundle: OmemoBundle): Element {
  const { signedPreKey } = bundle;
  if (signedPreKey.signature.length !== SIGNATURE_LENGTH) {
    throw new HushError('ProtocolError', 'The signed prekey signature is not 64 bytes.');
  }
  if (bundle.preKeys.length === 0) {
    throw new HushError('ProtocolError', 'A bundle needs at least one one-time prekey.');
  }
  if (new Set(bundle.preKeys.map((preKey) => preKey.id)).size !== bundle.preKeys.length) {
    throw new HushError('ProtocolError', 'The bundle repeats a prekey id.');
  }
  return xml(
    'bundle',
    { xmlns: NS_OMEMO_LEGACY },
    xml(
      'signedPreKeyPublic',
      { signedPreKeyId: requireId(signedPreKey.id, 'Signed prekey id') },
      encodeBase64(requireKey(signedPreKey.publicKey, 'The signed prekey')),
    ),
    xml('signedPreKeySignature', {}, encodeBase64(signedPreKey.signature)),
    xml('identityKey', {}, encodeBase64(requireKey(bundle.identityKey, 'The identity key'))),
    xml(
      'prekeys',
      {},
      ...bundle.preKeys.map((preKey) =>
        xml(
          'preKeyPublic',
          { preKeyId: requireId(preKey.id, 'Prekey id') },
          encodeBase64(requireKey(preKey.publicKey, `Prekey ${preKey.id}`)),
        ),
      ),
    ),
  );
}

function keyOf(element: Element | undefined): Uint8Array | null {
  if (!element) return null;
  const bytes = decodeBase64(element.text());
  return bytes && normalizePublicKey(bytes);
}

/**
 * <bundle xmlns='eu.siacs.conversations.axolotl'> -> OmemoBundle, or null when anything is missing or
 * malformed: a bad key, signature, id, a repeated prekey id or no prekeys at all. Unlike the device
 * list, a bundle is all or nothing: a session built from a partly read bundle would be a broken one.
 */
export function parseBundle(element: Element): OmemoBundle | null {
  try {
    if (!element.is('bundle', NS_OMEMO_LEGACY)) return null;
    const signed = element.getChild('signedPreKeyPublic');
    const signedId = parseId(signed?.attrs.signedPreKeyId);
    const signedKey = keyOf(signed);
    const signatureText = element.getChild('signedPreKeySignature')?.text();
    const signature = signatureText === undefined ? null : decodeBase64(signatureText);
    const identityKey = keyOf(element.getChild('identityKey'));
    if (signedId === null || !signedKey || !identityKey) return null;
    if (signature?.length !== SIGNATURE_LENGTH) return null;
    const preKeyElements = element.getChild('prekeys')?.getChildren('preKeyPublic') ?? [];
    const preKeys: OmemoPreKeyPublic[] = [];
    const seen = new Set<number>();
    for (const preKeyElement of preKeyElements) {
      const id = parseId(preKeyElement.attrs.preKeyId);
      const publicKey = keyOf(preKeyElement);
      if (id === null || !publicKey || seen.has(id)) return null;
      seen.add(id);
      preKeys.push({ id, publicKey });
    }
    if (preKeys.length === 0) return null;
    return {
      identityKey,
      signedPreKey: { id: signedId, publicKey: signedKey, signature },
      preKeys,
    };
  } catch {
    return null;
  }
}
