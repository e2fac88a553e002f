// The Expo push service (https://docs.expo.dev/push-notifications/sending-notifications/), which
// hands a wake-up to Apple's and Google's push services for the Hush app.
import type { ExpoPushMessage } from 'expo-server-sdk';
import type { PushProvider } from './types.ts';
import { WAKE_UP, WAKE_UP_TTL_SECONDS, WAKE_UP_WORDS } from './types.ts';

export interface ExpoOptions {
  /** The push service's base URL, https://exp.host unless a stand-in answers elsewhere. */
  readonly baseUrl?: string;
  /** An Expo access token, when the Expo project requires one for sending. */
  readonly accessToken?: string;
}

export async function expoProvider(options: ExpoOptions = {}): Promise<PushProvider> {
  // expo-server-sdk reads its base URL from the environment once, when it is first loaded.
  if (options.baseUrl) process.env.EXPO_BASE_URL = options.baseUrl.replace(/\/$/, '');
  const { Expo } = await import('expo-server-sdk');
  const expo = new Expo({
    ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    maxConcurrentRequests: 4,
  });
  return {
    async wake(registration) {
      // In the language the app registered with; the words still say nothing of the message.
      const words = registration.words ?? WAKE_UP_WORDS;
      const message: ExpoPushMessage = {
        to: registration.endpoint,
        title: words.title,
        body: words.body,
        data: { ...WAKE_UP },
        sound: 'default',
        priority: 'high',
        ttl: WAKE_UP_TTL_SECONDS,
        // The app's Android channel for messages (packages/app/src/push/index.native.ts).
        channelId: 'messages',
        // iOS wakes the app in the background as well, so it can fetch before the person looks.
        _contentAvailable: true,
      };
      let ticket;
      try {
        [ticket] = await expo.sendPushNotificationsAsync([message]);
      } catch (error) {
        return { ok: false, gone: false, reason: `Expo push service: ${(error as Error).message}` };
      }
      if (!ticket) return { ok: false, gone: false, reason: 'Expo push service sent no ticket' };
      if (ticket.status === 'ok') return { ok: true };
      const code = ticket.details?.error;
      return { ok: false, gone: code === 'DeviceNotRegistered', reason: code ?? ticket.message };
    },
  };
}
