// XEP-0384 OMEMO Encryption (OMEMO 2, urn:xmpp:omemo:2, version 0.8 and later) — https://xmpp.org/extensions/xep-0384.html
// The PEP payloads of OMEMO 2, object ⇄ element: the device list (node urn:xmpp:omemo:2:devices,
// <devices><device id='…' label='…'/></devices>) and a device's bundle (node urn:xmpp:omemo:2:bundles,
// one item per device, its id the device id: <bundle><spk id><spks><ik><prekeys><pk id>). The same
// rules as OMEMO 0.3's (../omemo/bundle.ts): builders throw a HushError on invalid local values,
// parsers never throw; a bundle is refused only for what makes a session impossible, and a single
// bad one-time prekey is dropped.
//
// Where OMEMO 2 differs from 0.3 on the wire:
// - keys are raw: the identity key is an Ed25519 public key (32 bytes), the signed prekey and the
//   prekeys are X25519 public keys (32 bytes); no 0x05 type byte;
// - spks is the identity key's 64-byte Ed25519 signature over the signed prekey;
// - device ids 1..2^31-1, key ids xs:unsignedInt (0..2^32-1; Converse.js numbers from 0);
// - a device may carry a label (a name the person gave it, at most 53 characters recommended).
import xml, { type Element } from '@xmpp/xml';
import { HushError } from '../errors.ts';
import { encodeBase64 } from '../util/base64.ts';
import {
  bytesOf,
  isDeviceId,
  isKeyId,
  parseId,
  readBundleAs,
  type BundleLayout,
  type BundleReading,
} from '../omemo/bundle.ts';

export const NS_OMEMO2 = 'urn:xmpp:omemo:2';
export const DEVICES_NODE = `${NS_OMEMO2}:devices`;
export const BUNDLES_NODE = `${NS_OMEMO2}:bundles`;
const KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;
/** Longer labels are cut: a label is shown beside a fingerprint, not stored as a document. */
export const MAX_LABEL_LENGTH = 200;

export interface Omemo2Device {
  readonly id: number;
  readonly label?: string;
  /**
   * The label's signature by the device's identity key, base64, as published (XEP-0384 0.9
   * `labelsig`). Hush writes no label of its own; it keeps another device's label and signature
   * unchanged when it republishes the list, so clients that check them still show the label.
   */
  readonly labelsig?: string;
}

export interface Omemo2PreKeyPublic {
  readonly id: number;
  /** 32 bytes, X25519. */
  readonly publicKey: Uint8Array;
}

export interface Omemo2Bundle {
  /** 32 bytes, Ed25519. */
  readonly identityKey: Uint8Array;
  readonly signedPreKey: Omemo2PreKeyPublic & { readonly signature: Uint8Array };
  readonly preKeys: readonly Omemo2PreKeyPublic[];
}

export function buildDeviceList(devices: readonly Omemo2Device[]): Element {
  const seen = new Set<number>();
  const children: Element[] = [];
  for (const device of devices) {
    if (!isDeviceId(device.id)) {
      throw new HushError('ProtocolError', `Device id ${device.id} is not in 1..2^31-1.`);
    }
    if (seen.has(device.id)) continue;
    seen.add(device.id);
    const label = device.label?.slice(0, MAX_LABEL_LENGTH);
    const labelsig = label === device.label ? device.labelsig : undefined;
    children.push(
      xml('device', {
        id: String(device.id),
        ...(label ? { label } : {}),
        ...(label && labelsig ? { labelsig } : {}),
      }),
    );
  }
  return xml('devices', { xmlns: NS_OMEMO2 }, ...children);
}

/**
 * <devices xmlns='urn:xmpp:omemo:2'> -> devices, or null when it is not such a list. A device with no
 * valid id, or a repeated one, is skipped: one bad entry must not hide the others.
 */
export function parseDeviceList(element: Element): Omemo2Device[] | null {
  try {
    if (!element.is('devices', NS_OMEMO2)) return null;
    const devices = new Map<number, Omemo2Device>();
    for (const device of element.getChildren('device')) {
      const id = parseId(device.attrs.id);
      if (id === null || devices.has(id)) continue;
      const label = typeof device.attrs.label === 'string' ? device.attrs.label : '';
      const labelsig = typeof device.attrs.labelsig === 'string' ? device.attrs.labelsig : '';
      const kept = label.slice(0, MAX_LABEL_LENGTH);
      // A cut label no longer matches its signature: it goes without one.
      devices.set(
        id,
        label ? { id, label: kept, ...(labelsig && kept === label ? { labelsig } : {}) } : { id },
      );
    }
    return [...devices.values()];
  } catch {
    return null;
  }
}

function requireBytes(bytes: Uint8Array, length: number, what: string): string {
  if (bytes.length !== length) {
    throw new HushError('ProtocolError', `${what} is not ${length} bytes.`);
  }
  return encodeBase64(bytes);
}

function requireKeyId(id: number, what: string): string {
  if (!isKeyId(id)) throw new HushError('ProtocolError', `${what} ${id} is not in 0..2^32-1.`);
  return String(id);
}

export function buildBundle(bundle: Omemo2Bundle): Element {
  const { signedPreKey } = bundle;
  if (bundle.preKeys.length === 0) {
    throw new HushError('ProtocolError', 'A bundle needs at least one one-time prekey.');
  }
  if (new Set(bundle.preKeys.map((preKey) => preKey.id)).size !== bundle.preKeys.length) {
    throw new HushError('ProtocolError', 'The bundle repeats a prekey id.');
  }
  return xml(
    'bundle',
    { xmlns: NS_OMEMO2 },
    xml(
      'spk',
      { id: requireKeyId(signedPreKey.id, 'Signed prekey id') },
      requireBytes(signedPreKey.publicKey, KEY_LENGTH, 'The signed prekey'),
    ),
    xml('spks', {}, requireBytes(signedPreKey.signature, SIGNATURE_LENGTH, 'The signature')),
    xml('ik', {}, requireBytes(bundle.identityKey, KEY_LENGTH, 'The identity key')),
    xml(
      'prekeys',
      {},
      ...bundle.preKeys.map((preKey) =>
        xml(
          'pk',
          { id: requireKeyId(preKey.id, 'Prekey id') },
          requireBytes(preKey.publicKey, KEY_LENGTH, `Prekey ${preKey.id}`),
        ),
      ),
    ),
  );
}

/** What reading a bundle gave: the bundle and how many one-time prekeys were dropped, or why not. */
export type Omemo2BundleReading = BundleReading<Omemo2Bundle>;

const LAYOUT: BundleLayout = {
  namespace: NS_OMEMO2,
  version: '2',
  signed: { element: 'spk', idAttribute: 'id' },
  signature: 'spks',
  identity: 'ik',
  preKey: { element: 'pk', idAttribute: 'id' },
  keyOf: (element) => bytesOf(element, KEY_LENGTH),
  keyKind: 'a 32-byte X25519 key',
  identityKind: 'a 32-byte Ed25519 key',
};

/**
 * <bundle xmlns='urn:xmpp:omemo:2'> -> the bundle, or the reason it cannot be used. Bad one-time
 * prekeys are dropped one by one; an id that appears twice drops both keys.
 */
export function readBundle(element: Element): Omemo2BundleReading {
  return readBundleAs(element, LAYOUT);
}

export function parseBundle(element: Element): Omemo2Bundle | null {
  return readBundle(element).bundle;
}
