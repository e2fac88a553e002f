// XEP-0384 OMEMO Encryption (legacy 0.3, eu.siacs.conversations.axolotl) — https://xmpp.org/extensions/attic/xep-0384-0.3.0.html
// The two PEP payloads of legacy OMEMO, object ⇄ element: the device list
// (<list xmlns='eu.siacs.conversations.axolotl'><device id='…'/></list>) and a device's bundle
// (identity key, signed prekey, one-time prekeys). Builders take local values and throw a HushError on
// invalid ones; parsers read the network and never throw.
//
// What is valid, field by field (the XEP's schema types its ids xs:integer / xs:unsignedInt and its
// keys xs:base64Binary; libsignal's wire format (PreKeyWhisperMessage) carries prekey and signed prekey
// ids as protobuf uint32, and libsignal-protocol-typescript accepts any non-negative integer id):
// - device id: 1..2^31-1 (XEP-0384 §4.2 "between 1 and 2^31 - 1"); others are skipped in a list.
// - signed prekey id and prekey id: 0..2^32-1. Id 0 is valid: Converse.js publishes
//   signedPreKeyId='0', and libsignal counts prekeys from any value. Above 2^32-1 a PreKey message
//   could not name the key (uint32), so such a prekey is unusable.
// - numbers as xs:unsignedInt reads them: surrounding XML whitespace, an optional '+' and leading zeros
//   are allowed; signs, exponents, fractions and empty values are not.
// - identity key, signed prekey, prekeys: Curve25519 public keys, 33 bytes starting 0x05 (DJB type),
//   or 32 raw bytes (some clients drop the type byte); base64 with optional whitespace and padding.
// - signature: XEdDSA, 64 bytes. Checked against the identity key when a session is built.
// A bundle is refused only for what makes a session impossible: no usable identity key, signed
// prekey, signature or signed prekey id, or no usable one-time prekey at all. A single bad one-time
// prekey (bad id, bad key, an id used twice) is dropped and the others kept: one bad entry must not
// make the device unreachable. At least one is required: libsignal-protocol-typescript always writes
// a preKeyId (0 when none was used), so a session without a one-time prekey would not decrypt on the
// other side (libsignal would look up prekey 0). The same habit makes prekey id 0 work: the library
// copies the id into its PreKey message only when it is truthy, but the field's default, 0, is
// written anyway (first-contact.test.ts checks it against python-omemo).
import xml, { type Element } from '@xmpp/xml';
import { HushError } from '../errors.ts';
import { decodeBase64Lenient, encodeBase64 } from '../util/base64.ts';

export const NS_OMEMO_LEGACY = 'eu.siacs.conversations.axolotl';
export const DEVICE_LIST_NODE = `${NS_OMEMO_LEGACY}.devicelist`;
export const BUNDLE_NODE_PREFIX = `${NS_OMEMO_LEGACY}.bundles:`;
/** Device ids are 1..2^31-1 (XEP-0384 §4.2). This is also the range Hush draws its own prekey ids from. */
export const MAX_DEVICE_ID = 0x7fffffff;
/** Prekey and signed prekey ids are uint32 on the wire (libsignal's PreKeyWhisperMessage). */
export const MAX_KEY_ID = 0xffffffff;
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

export function isKeyId(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_KEY_ID;
}

/**
 * An xs:unsignedInt attribute as sent by the network -> its value, or null: XML whitespace around it,
 * a '+' and leading zeros are allowed (the schema type's lexical space), nothing else.
 */
function parseUnsigned(value: string | undefined): number | null {
  const match = value === undefined ? null : /^[\t\n\r ]*\+?0*([0-9]{1,10})[\t\n\r ]*$/.exec(value);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** A device id attribute -> the id, or null when it is not one (1..2^31-1). */
export function parseId(value: string | undefined): number | null {
  const id = parseUnsigned(value);
  return id !== null && isDeviceId(id) ? id : null;
}

/** A prekey or signed prekey id attribute -> the id, or null when it is not one (0..2^32-1). */
export function parseKeyId(value: string | undefined): number | null {
  const id = parseUnsigned(value);
  return id !== null && isKeyId(id) ? id : null;
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

function requireKeyId(id: number, what: string): string {
  if (!isKeyId(id)) throw new HushError('ProtocolError', `${what} ${id} is not in 0..2^32-1.`);
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
      { signedPreKeyId: requireKeyId(signedPreKey.id, 'Signed prekey id') },
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
          { preKeyId: requireKeyId(preKey.id, 'Prekey id') },
          encodeBase64(requireKey(preKey.publicKey, `Prekey ${preKey.id}`)),
        ),
      ),
    ),
  );
}

/**
 * The one-time prekeys of a bundle (OMEMO 0.3 and OMEMO 2 alike), each read by `keyOf` with its id in
 * `idAttribute`: the usable ones and how many were dropped, or why none is usable. A bad entry is
 * dropped alone; an id that appears twice drops both keys, since either could be the one its owner
 * kept.
 */
export function readPreKeys(
  elements: readonly Element[],
  idAttribute: string,
  keyOf: (element: Element) => Uint8Array | null,
):
  | { readonly preKeys: OmemoPreKeyPublic[]; readonly dropped: number }
  | { readonly problem: string } {
  const byId = new Map<number, Uint8Array | null>();
  let dropped = 0;
  for (const preKeyElement of elements) {
    const id = parseKeyId(preKeyElement.attrs[idAttribute] as string | undefined);
    const publicKey = keyOf(preKeyElement);
    if (id === null || !publicKey) dropped++;
    else if (byId.has(id)) {
      dropped += byId.get(id) ? 2 : 1;
      byId.set(id, null);
    } else byId.set(id, publicKey);
  }
  const preKeys: OmemoPreKeyPublic[] = [];
  for (const [id, publicKey] of byId) if (publicKey) preKeys.push({ id, publicKey });
  if (preKeys.length > 0) return { preKeys, dropped };
  return {
    problem:
      elements.length === 0
        ? 'it has no one-time prekeys'
        : 'none of its one-time prekeys is valid',
  };
}

/** An element's base64 text -> its bytes, or null when missing, not base64 or not `length` long. */
export function bytesOf(element: Element | undefined, length: number): Uint8Array | null {
  if (!element) return null;
  const bytes = decodeBase64Lenient(element.text());
  return bytes?.length === length ? bytes : null;
}

function keyOf(element: Element | undefined): Uint8Array | null {
  if (!element) return null;
  const bytes = decodeBase64Lenient(element.text());
  return bytes && normalizePublicKey(bytes);
}

/** What reading a bundle gave: the bundle and how many one-time prekeys were dropped, or why not. */
export type BundleReading<B = OmemoBundle> =
  | { readonly bundle: B; readonly droppedPreKeys: number }
  | { readonly bundle: null; readonly problem: string };

/** Where each part of a bundle is in one OMEMO version's <bundle/>, and how its keys are read. */
export interface BundleLayout {
  readonly namespace: string;
  readonly version: string;
  readonly signed: { readonly element: string; readonly idAttribute: string };
  readonly signature: string;
  readonly identity: string;
  readonly preKey: { readonly element: string; readonly idAttribute: string };
  /** A public key of this version (0.3: Curve25519 with or without its type byte; 2: 32 bytes). */
  readonly keyOf: (element: Element | undefined) => Uint8Array | null;
  readonly keyKind: string;
  readonly identityKind: string;
}

/**
 * A <bundle/> laid out as `layout` says -> the bundle, or the reason it cannot be used (see the
 * header for what is valid). Bad one-time prekeys are dropped one by one; a prekey id that appears
 * twice drops both, since either key could be the one its owner kept.
 */
export function readBundleAs(element: Element, layout: BundleLayout): BundleReading {
  const refused = (problem: string): BundleReading => ({ bundle: null, problem });
  try {
    if (!element.is('bundle', layout.namespace)) {
      return refused(`it is not an OMEMO ${layout.version} bundle`);
    }
    const signed = element.getChild(layout.signed.element);
    if (!signed) return refused('it has no signed prekey');
    const signedId = parseKeyId(signed.attrs[layout.signed.idAttribute]);
    if (signedId === null) {
      return refused(
        `its signed prekey id '${signed.attrs[layout.signed.idAttribute] ?? ''}' is not 0..2^32-1`,
      );
    }
    const signedKey = layout.keyOf(signed);
    if (!signedKey) return refused(`its signed prekey is not ${layout.keyKind}`);
    const signature = bytesOf(element.getChild(layout.signature), SIGNATURE_LENGTH);
    if (!signature) {
      return refused('its signed prekey signature is missing or not 64 bytes');
    }
    const identityKey = layout.keyOf(element.getChild(layout.identity));
    if (!identityKey) return refused(`its identity key is missing or not ${layout.identityKind}`);
    const preKeys = readPreKeys(
      element.getChild('prekeys')?.getChildren(layout.preKey.element) ?? [],
      layout.preKey.idAttribute,
      layout.keyOf,
    );
    if ('problem' in preKeys) return refused(preKeys.problem);
    return {
      bundle: {
        identityKey,
        signedPreKey: { id: signedId, publicKey: signedKey, signature },
        preKeys: preKeys.preKeys,
      },
      droppedPreKeys: preKeys.dropped,
    };
  } catch (error) {
    return refused(
      `it could not be read (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

const LEGACY_LAYOUT: BundleLayout = {
  namespace: NS_OMEMO_LEGACY,
  version: '0.3',
  signed: { element: 'signedPreKeyPublic', idAttribute: 'signedPreKeyId' },
  signature: 'signedPreKeySignature',
  identity: 'identityKey',
  preKey: { element: 'preKeyPublic', idAttribute: 'preKeyId' },
  keyOf,
  keyKind: 'a Curve25519 public key',
  identityKind: 'a Curve25519 public key',
};

/**
 * <bundle xmlns='eu.siacs.conversations.axolotl'> -> the bundle, or the reason it cannot be used
 * (see the header for what is valid).
 */
export function readBundle(element: Element): BundleReading {
  return readBundleAs(element, LEGACY_LAYOUT);
}

/** <bundle xmlns='eu.siacs.conversations.axolotl'> -> OmemoBundle, or null when it cannot be used. */
export function parseBundle(element: Element): OmemoBundle | null {
  return readBundle(element).bundle;
}
