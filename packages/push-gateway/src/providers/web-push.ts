// Web Push (RFC 8030) with VAPID (RFC 8292) and an encrypted payload (RFC 8291, aes128gcm), for
// browsers; and UnifiedPush (https://unifiedpush.org/developers/spec/), whose endpoints take the
// same request, encrypted when the app gave keys.
import webpush from 'web-push';
import type { Registration } from '../store.ts';
import type { Delivery, PushProvider } from './types.ts';
import { WAKE_UP, WAKE_UP_TTL_SECONDS } from './types.ts';

export interface VapidKeys {
  /** base64url, uncompressed P-256 point. */
  readonly publicKey: string;
  readonly privateKey: string;
  /** mailto: or https: contact for the push service's operator (RFC 8292). */
  readonly subject: string;
}

const gone = (status: number) => status === 404 || status === 410;

async function sendEncrypted(registration: Registration, vapid: VapidKeys): Promise<Delivery> {
  if (!registration.keys) return { ok: false, gone: false, reason: 'no keys' };
  try {
    await webpush.sendNotification(
      { endpoint: registration.endpoint, keys: registration.keys },
      JSON.stringify(WAKE_UP),
      {
        vapidDetails: vapid,
        TTL: WAKE_UP_TTL_SECONDS,
        urgency: 'high',
        contentEncoding: 'aes128gcm',
        timeout: 15_000,
      },
    );
    return { ok: true };
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined)
      return { ok: false, gone: gone(status), reason: `push service answered ${status}` };
    return { ok: false, gone: false, reason: (error as Error).message };
  }
}

export function webPushProvider(vapid: VapidKeys): PushProvider {
  return { wake: (registration) => sendEncrypted(registration, vapid) };
}

export function unifiedPushProvider(vapid: VapidKeys): PushProvider {
  return {
    async wake(registration) {
      if (registration.keys) return sendEncrypted(registration, vapid);
      // An endpoint registered without keys gets the bare wake-up: it says nothing either way.
      try {
        const response = await fetch(registration.endpoint, {
          method: 'POST',
          headers: { TTL: String(WAKE_UP_TTL_SECONDS), Urgency: 'high' },
          body: JSON.stringify(WAKE_UP),
          signal: AbortSignal.timeout(15_000),
        });
        await response.body?.cancel();
        if (response.ok) return { ok: true };
        return {
          ok: false,
          gone: gone(response.status),
          reason: `push service answered ${response.status}`,
        };
      } catch (error) {
        return { ok: false, gone: false, reason: (error as Error).message };
      }
    },
  };
}

export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  return webpush.generateVAPIDKeys();
}
