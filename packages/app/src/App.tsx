// The app: one AccountController for the device, what runs while someone is signed in (presence,
// names, the unread count, notifications), and the navigator (navigation/) that shows where they are.
import { useEffect, useMemo, useRef } from 'react';
import { AppState, StyleSheet } from 'react-native';
import {
  initialWindowMetrics,
  SafeAreaProvider,
  SafeAreaView,
} from 'react-native-safe-area-context';
import { StatusBar } from 'expo-status-bar';
import { createNavigationContainerRef } from '@react-navigation/native';
import { AccountController } from './client/account';
import { notifyIncoming } from './client/notifier';
import { rememberDescribedFiles } from './ui/file-labels';
import { platform as defaultPlatform } from './platform';
import type { Platform } from './platform/types';
import {
  ControllerContext,
  PlatformContext,
  useAccount,
  useAppActive,
  useChats,
  useController,
} from './ui/hooks';
import { colors } from './ui/theme';
import { AppNavigator, type AppNavigation } from './navigation/AppNavigator';
import type { LinkSource } from './navigation/linking';
import { openChat } from './navigation/open';
import { chatWithNewMessages, followNotificationOpens } from './push/opened';
import type { RootStackParamList } from './navigation/routes';

export function App(props: {
  platform?: Platform;
  controller?: AccountController;
  /** Where links come from besides the system's (a tapped push notification): chatLink(jid). */
  linkSources?: readonly LinkSource[];
}) {
  const platform = props.platform ?? defaultPlatform;
  const controller = useMemo(
    () => props.controller ?? new AccountController(platform),
    [props.controller, platform],
  );
  // What opens a chat from outside the screens (notifications): navigation/open.ts's openChat.
  const navigation = useMemo(() => createNavigationContainerRef<RootStackParamList>(), []);
  const linkSources = props.linkSources;
  // A tapped or clicked "New message" notification opens, once the app has caught up, the chat the
  // unread messages are in when they are in one; the chat list otherwise (the wake-up names no chat).
  useEffect(() => {
    if (!platform.push) return;
    return followNotificationOpens(
      platform.push,
      () => chatWithNewMessages(controller),
      (jid) => openChat(navigation, jid),
    );
  }, [platform, controller, navigation]);
  useEffect(() => {
    // A controller made here starts here; one passed in (tests) is the caller's to start.
    if (!props.controller) void controller.start();
  }, [controller, props.controller]);
  return (
    // The insets known at launch: the first frame is laid out inside them, not drawn blank.
    <SafeAreaProvider initialMetrics={initialWindowMetrics}>
      <StatusBar style="dark" />
      <SafeAreaView style={styles.root} edges={['top', 'bottom', 'left', 'right']}>
        <PlatformContext.Provider value={platform}>
          <ControllerContext.Provider value={controller}>
            <SignedInWork platform={platform} navigation={navigation} />
            <AppNavigator navigation={navigation} {...(linkSources ? { linkSources } : {})} />
          </ControllerContext.Provider>
        </PlatformContext.Provider>
      </SafeAreaView>
    </SafeAreaProvider>
  );
}

/** What the app does while an account is signed in, whichever screen is open. */
function SignedInWork(props: { platform: Platform; navigation: AppNavigation }) {
  const controller = useController();
  const account = useAccount();
  const chats = useChats();
  const active = useAppActive();
  const connected = account.phase === 'online';
  const connection = controller.current;
  const contacts = connection?.contacts;
  const { platform, navigation } = props;
  // Present (and reading) while in front, away while not.
  useEffect(() => {
    if (connected) void controller.setActive(active);
  }, [controller, active, connected]);
  // Names of people shown without one given here: the one they gave themselves (XEP-0172), read
  // once per connection, and again once they let this account see their presence (PEP's default
  // access model).
  const asked = useRef(new Set<string>());
  useEffect(() => {
    asked.current = new Set();
  }, [contacts, connected]);
  useEffect(() => {
    if (!contacts || !connected) return;
    for (const jid of [...chats.items.map((item) => item.peer), ...chats.requests]) {
      const contact = contacts.get(jid);
      const key = `${jid} ${contact?.subscription ?? ''}`;
      if (asked.current.has(key) || contact?.name) continue;
      asked.current.add(key);
      void contacts.nicknames.fetch(jid);
    }
  }, [contacts, connected, chats]);
  // The unread count where the platform shows one (the tab's title on the web).
  const unread = chats.items.reduce((sum, item) => sum + item.unread, 0);
  useEffect(() => platform.showUnread(unread), [platform, unread]);
  // Messages that arrive while the app is not in front (a hidden tab) notify, where allowed; the
  // notification opens the chat.
  const messenger = connection?.messenger;
  useEffect(() => {
    if (!messenger) return;
    return notifyIncoming(messenger, {
      notifications: platform.notifications,
      inFront: () => AppState.currentState === 'active',
      nameOf: (peer) => controller.current?.contacts.displayName(peer),
      onOpen: (peer) => openChat(navigation, peer),
    });
  }, [messenger, platform, controller, navigation]);
  // Names, types and lengths that senders describe inside OMEMO 2 (XEP-0447): kept as the files'
  // labels on this device.
  useEffect(() => {
    if (!messenger) return;
    return rememberDescribedFiles(messenger, platform.keptFiles);
  }, [messenger, platform]);
  return null;
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.border },
});
