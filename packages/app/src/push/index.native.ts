// Push on iOS and Android through expo-notifications and the Expo push service: permission, the
// Expo push token the gateway sends to, a "messages" channel on Android, and the notification the
// person taps. The registration is kept in the platform keystore (expo-secure-store).
// The phone shows a wake-up without the app, so the app gives the gateway its words ("New message"
// in its language) with the token, and registers again when the language changes.
import { Platform } from 'react-native';
import Constants from 'expo-constants';
import * as Notifications from 'expo-notifications';
import * as SecureStore from 'expo-secure-store';
import type { PushRegistration, PushStateStore } from '@hush/core';
import { i18n } from '../i18n';
import { PushDenied, PushUnsupported } from './controller';
import type { PushAccess, PushPlatform } from './types';

/** The Android channel the gateway's wake-ups name (channelId). */
export const MESSAGES_CHANNEL = 'messages';

function keystoreState(jid: string): PushStateStore {
  // SecureStore keys allow letters, digits, '.', '-' and '_'.
  const key = `hush.push.${jid.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  return {
    async load() {
      const text = await SecureStore.getItemAsync(key);
      return text ? (JSON.parse(text) as PushRegistration) : undefined;
    },
    async save(registration) {
      if (registration) await SecureStore.setItemAsync(key, JSON.stringify(registration));
      else await SecureStore.deleteItemAsync(key);
    },
  };
}

function projectId(): string | undefined {
  const extra = Constants.expoConfig?.extra as { eas?: { projectId?: string } } | undefined;
  return extra?.eas?.projectId ?? Constants.easConfig?.projectId;
}

// While the app is in front it shows what arrived itself: no banner over it.
Notifications.setNotificationHandler({
  handleNotification: () =>
    Promise.resolve({
      shouldShowBanner: false,
      shouldShowList: true,
      shouldPlaySound: false,
      shouldSetBadge: false,
    }),
});

export function createPushPlatform(): PushPlatform {
  return {
    state: keystoreState,
    async access(): Promise<PushAccess> {
      const { status } = await Notifications.getPermissionsAsync();
      return status;
    },
    async target() {
      if (Platform.OS === 'android')
        // Named in the app's language in Android's settings (renamed at each start with push on).
        await Notifications.setNotificationChannelAsync(MESSAGES_CHANNEL, {
          name: i18n.t('push.channel'),
          importance: Notifications.AndroidImportance.HIGH,
        });
      let { status } = await Notifications.getPermissionsAsync();
      if (status === 'undetermined') ({ status } = await Notifications.requestPermissionsAsync());
      if (status !== 'granted') throw new PushDenied();
      const id = projectId();
      // Expo push tokens belong to an Expo project (app.json extra.eas.projectId).
      if (!id) throw new PushUnsupported('This build names no Expo project');
      const token = await Notifications.getExpoPushTokenAsync({ projectId: id });
      return {
        provider: 'expo',
        endpoint: token.data,
        words: { title: i18n.t('push.wakeUp.title'), body: i18n.t('push.wakeUp.body') },
      };
    },
    release: () => Promise.resolve(),
    async openedAtLaunch() {
      return (await Notifications.getLastNotificationResponseAsync()) !== null;
    },
    onOpened(listener) {
      const subscription = Notifications.addNotificationResponseReceivedListener(() => listener());
      return () => subscription.remove();
    },
    onTargetChanged(listener) {
      // A new token, or other words: both change what the gateway must hold for this device.
      const subscription = Notifications.addPushTokenListener(() => listener());
      const onLanguage = () => listener();
      i18n.on('languageChanged', onLanguage);
      return () => {
        subscription.remove();
        i18n.off('languageChanged', onLanguage);
      };
    },
  };
}
