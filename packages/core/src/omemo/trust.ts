// OMEMO fingerprints and the verification URI other clients put in their QR codes.
//
// A fingerprint is the hex of the 32-byte Curve25519 identity key (the 0x05 type byte dropped), shown
// in groups of eight as Conversations, Dino and Gajim do. The URI is Conversations' format:
//   xmpp:alice@example.org?omemo-sid-1234=<64 hex>;omemo-sid-5678=<64 hex>
// (https://xmpp.org/extensions/xep-0147.html query syntax; Monal and Dino read the same).
import { normalizePublicKey } from './bundle.ts';
import { toHex } from './bytes.ts';

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
