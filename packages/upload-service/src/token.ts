// The slot URLs Prosody's mod_http_upload_external hands out (protocol v2), read back:
//
//   PUT  BASE/<uuid>/<name>?v2=<hex HMAC-SHA256(secret, "<uuid>/<name>\0<size>\0<type>")>
//   GET  BASE/<uuid>/<name>
//
// <uuid> is Prosody's util.uuid (version 4: 122 bits from its CSPRNG), so a GET URL cannot be
// guessed. The name is only part of the URL: the object is stored under the uuid alone.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Prosody's util.uuid.generate(): lower-case hex, version 4. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface SlotPath {
  readonly id: string;
  /** The file name as the client asked for it (decoded). */
  readonly name: string;
}

/**
 * `<uuid>/<name>` below `basePath` (which ends in /), or undefined for any other path. Prosody
 * encodes every byte of both parts but A-Z a-z 0-9 . ~ _ -.
 */
export function parseSlotPath(pathname: string, basePath: string): SlotPath | undefined {
  if (!pathname.startsWith(basePath)) return undefined;
  const parts = pathname.slice(basePath.length).split('/');
  if (parts.length !== 2) return undefined;
  const [id = '', encodedName = ''] = parts;
  if (!UUID.test(id) || encodedName === '') return undefined;
  let name: string;
  try {
    name = decodeURIComponent(encodedName);
  } catch {
    return undefined;
  }
  return { id, name };
}

/** The v2 token for this slot, as mod_http_upload_external computes it. */
export function slotToken(
  secret: string,
  slot: SlotPath,
  size: number,
  contentType: string,
): string {
  return createHmac('sha256', secret)
    .update(`${slot.id}/${slot.name}\0${size}\0${contentType}`)
    .digest('hex');
}

/** Compares in constant time; a token of the wrong shape is simply wrong. */
export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null || !/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}
