// Trust in OMEMO devices: the rules every way of learning of a device goes through, fingerprints,
// and the verification URI other clients put in their QR codes.
//
// The rules (doc/design.md, "End-to-end encryption"):
// - Blind trust before verification (as Conversations): a device is trusted blindly until the person
//   verifies one of its owner's devices. After that, a device whose key Hush learns of, however
//   (the owner's device list, a PreKey message live, as a carbon or from the archive, a bundle),
//   is undecided ('untrusted') until the person decides. A hostile server can forge device lists
//   and messages alike, so no path is exempt.
// - A changed identity key for a known device is never trusted silently ('untrusted'; a refused
//   device stays refused).
// - Only the person's decisions raise trust (trust, verify, a scanned code); every automatic write
//   goes through ruledStore, which keeps the stricter of what it is given and what the rules say.
// - Keys go only to active, trusted (blind or verified), recently seen devices; what an undecided or
//   refused device still sends is shown, marked (senderWarning), never passed off as trusted.
//
// A fingerprint is the hex of the 32-byte Curve25519 identity key (the 0x05 type byte dropped), shown
// in groups of eight as Conversations, Dino and Gajim do. The URI is Conversations' format:
//   xmpp:alice@example.org?omemo-sid-1234=<64 hex>;omemo-sid-5678=<64 hex>
// (https://xmpp.org/extensions/xep-0147.html query syntax; Monal and Dino read the same).
import { HushError } from '../errors.ts';
import type { OmemoDevice, OmemoStore, OmemoTrust } from '../storage/types.ts';
import { normalizePublicKey } from './bundle.ts';
import { equalBytes, toHex } from './bytes.ts';

// ---- Rules -------------------------------------------------------------------------------------

const STRICTNESS: Readonly<Record<OmemoTrust, number>> = {
  verified: 0,
  blind: 1,
  untrusted: 2,
  distrusted: 3,
};

function stricter(a: OmemoTrust, b: OmemoTrust): OmemoTrust {
  return STRICTNESS[a] >= STRICTNESS[b] ? a : b;
}

/**
 * The trust of a device whose key Hush has just learnt, given the other devices of its owner:
 * blind while none of them is verified, undecided ('untrusted') after.
 */
export function trustOfNewDevice(others: readonly OmemoDevice[]): OmemoTrust {
  return others.some((device) => device.trust === 'verified') ? 'untrusted' : 'blind';
}

/** A known device shows another identity key: undecided, or still refused. */
export function trustAfterKeyChange(previous: OmemoTrust): OmemoTrust {
  return previous === 'distrusted' ? 'distrusted' : 'untrusted';
}

/** Whether message keys go to this device: listed, trusted, and heard from within `staleMs`. */
export function mayEncryptFor(device: OmemoDevice, now: number, staleMs: number): boolean {
  return (
    device.active &&
    (device.trust === 'blind' || device.trust === 'verified') &&
    now - device.lastSeen <= staleMs
  );
}

/**
 * The mark on a message that decrypted from this device: none for a trusted one, UntrustedSender
 * for one the person refused or has not decided on yet (new after verification, or a changed key).
 */
export function senderWarning(
  device: OmemoDevice | undefined,
  deviceId: number,
): HushError | undefined {
  if (device?.trust === 'blind' || device?.trust === 'verified') return undefined;
  const why =
    device?.trust === 'distrusted'
      ? 'a device you refused'
      : 'a device you have not checked yet: new, or its key changed';
  return new HushError('UntrustedSender', `Sent from ${why} (device ${deviceId}).`);
}

/**
 * The store as every automatic path sees it (device lists, libsignal's identity callback, bundles,
 * activity): devices, keys and activity are written as given, but the trust written is the stricter
 * of the one given and the rules': a new device, or one whose first key arrives, gets
 * trustOfNewDevice; a changed key trustAfterKeyChange; anything else keeps at least the trust it
 * had. Nothing written through it raises trust: only the person's decisions, on the plain store.
 */
export function ruledStore(store: OmemoStore): OmemoStore {
  const putDevice = async (account: string, device: OmemoDevice): Promise<void> => {
    const known = await store.getDevice(account, device.jid, device.deviceId);
    let ruled: OmemoTrust;
    if (!known) {
      ruled = trustOfNewDevice(await store.listDevices(account, device.jid));
    } else if (!known.identityKey && device.identityKey) {
      const others = (await store.listDevices(account, device.jid)).filter(
        (other) => other.deviceId !== device.deviceId,
      );
      ruled = stricter(known.trust, trustOfNewDevice(others));
    } else if (
      known.identityKey &&
      device.identityKey &&
      !equalBytes(known.identityKey, device.identityKey)
    ) {
      ruled = trustAfterKeyChange(known.trust);
    } else {
      ruled = known.trust;
    }
    await store.putDevice(account, { ...device, trust: stricter(device.trust, ruled) });
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'putDevice') return putDevice;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

// ---- Fingerprints and verification codes -------------------------------------------------------

/** The 64-hex-digit fingerprint of an identity key (33-byte typed or 32-byte raw). */
export function fingerprintOf(identityKey: Uint8Array): string {
  const typed = normalizePublicKey(identityKey);
  return toHex((typed ?? identityKey).slice(typed ? 1 : 0));
}

/** "05a1b2c3 …" → "a1b2c3d4 e5f6…": eight groups of eight for people to compare. */
export function formatFingerprint(fingerprint: string): string {
  return (normalizeFingerprint(fingerprint) ?? fingerprint).replace(/(.{8})(?=.)/g, '$1 ');
}

/**
 * A fingerprint as people type or paste it (spaces, colons, upper case, with or without the 05
 * type byte) → 64 lower-case hex digits, or null.
 */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) return null;
  if (hex.length === 66 && hex.startsWith('05')) return hex.slice(2);
  return hex.length === 64 ? hex : null;
}

export interface VerificationUri {
  readonly jid: string;
  readonly devices: readonly { readonly deviceId: number; readonly fingerprint: string }[];
}

export function formatVerificationUri(uri: VerificationUri): string {
  const query = uri.devices
    .map((device) => `omemo-sid-${device.deviceId}=${device.fingerprint}`)
    .join(';');
  return `xmpp:${uri.jid}${query ? `?${query}` : ''}`;
}

/** Reads an `xmpp:` URI with omemo-sid parameters; null when it is not one. */
export function parseVerificationUri(text: string): VerificationUri | null {
  const match = /^xmpp:([^?#]+)(?:\?([^#]*))?/i.exec(text.trim());
  if (!match?.[1]) return null;
  let jid: string;
  try {
    jid = decodeURIComponent(match[1]).replace(/^\/\//, '').toLowerCase();
  } catch {
    return null;
  }
  if (!jid.includes('@') || jid.includes('/')) return null;
  const devices: { deviceId: number; fingerprint: string }[] = [];
  for (const part of (match[2] ?? '').split(/[;&]/)) {
    const pair = /^omemo-sid-(\d{1,10})=([0-9a-fA-F]+)$/.exec(part);
    if (!pair?.[1] || !pair[2]) continue;
    const fingerprint = normalizeFingerprint(pair[2]);
    const deviceId = Number(pair[1]);
    if (fingerprint && deviceId > 0 && deviceId <= 0x7fffffff)
      devices.push({ deviceId, fingerprint });
  }
  return { jid, devices };
}
