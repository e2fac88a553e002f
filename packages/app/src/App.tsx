// The app: one AccountController for the device, and the screen for where the person is.
// Navigation is a small state machine rather than a router: six screens, one level deep.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ActivityIndicator,
  AppState,
  BackHandler,
  Platform as ReactNativePlatform,
  StyleSheet,
  View,
} from 'react-native';
import { i18n, useTranslation } from './i18n';
import { SafeAreaProvider, SafeAreaView } from 'react-native-safe-area-context';
import { StatusBar } from 'expo-status-bar';
import { HushError, inspectFile, type OmemoDeviceInfo, type StoredMessage } from '@hush/core';
import { AccountController } from './client/account';
import { followCode } from './client/scanned-code';
import { notifyIncoming } from './client/notifier';
import { platform as defaultPlatform } from './platform';
import type { Platform } from './platform/types';
import {
  ControllerContext,
  PlatformContext,
  useAccount,
  useAppActive,
  useChats,
  useController,
  useThread,
} from './ui/hooks';
import { Onboarding } from './ui/Onboarding';
import { ChatList } from './ui/ChatList';
import { ChatScreen } from './ui/ChatScreen';
import { AddContact } from './ui/AddContact';
import { ContactDetails } from './ui/ContactDetails';
import { Settings } from './ui/Settings';
import { QrScan } from './ui/QrScan';
import { displayName } from './ui/ChatList';
import { rememberFile } from './ui/file-labels';
import type { FileFacts } from './ui/message-kind';
import { colors } from './ui/theme';

type Route =
  | { readonly screen: 'list' }
  | { readonly screen: 'chat'; readonly peer: string }
  | { readonly screen: 'contact'; readonly peer: string }
  | { readonly screen: 'add' }
  // The QR scanner: from a contact's details (`peer`) to verify them, else to add someone.
  | { readonly screen: 'scan'; readonly peer?: string }
  | { readonly screen: 'settings' };

export function App(props: { platform?: Platform; controller?: AccountController }) {
  const platform = props.platform ?? defaultPlatform;
  const controller = useMemo(
    () => props.controller ?? new AccountController(platform),
    [props.controller, platform],
  );
  const [invite, setInvite] = useState<string | undefined>();
  useEffect(() => {
    void platform.initialInvite().then(setInvite);
    // A controller made here starts here; one passed in (tests) is the caller's to start.
    if (!props.controller) void controller.start();
  }, [controller, platform, props.controller]);
  return (
    <SafeAreaProvider>
      <StatusBar style="dark" />
      <SafeAreaView style={styles.root} edges={['top', 'bottom', 'left', 'right']}>
        {/* On a wide browser window the app keeps a phone-like column instead of stretching. */}
        <View style={styles.column}>
          <PlatformContext.Provider value={platform}>
            <ControllerContext.Provider value={controller}>
              <Root
                invite={invite}
                platform={platform}
                onInviteUsed={() => {
                  platform.forgetInitialInvite();
                  setInvite(undefined);
                }}
              />
            </ControllerContext.Provider>
          </PlatformContext.Provider>
        </View>
      </SafeAreaView>
    </SafeAreaProvider>
  );
}

function Root(props: { invite: string | undefined; platform: Platform; onInviteUsed: () => void }) {
  const account = useAccount();
  const signedIn = account.phase !== 'starting' && account.phase !== 'signedOut';
  const { invite, onInviteUsed } = props;
  useEffect(() => {
    if (signedIn && invite) onInviteUsed();
  }, [signedIn, invite, onInviteUsed]);
  if (account.phase === 'starting') {
    return (
      <View style={styles.center} testID="starting">
        <ActivityIndicator color={colors.accent} />
      </View>
    );
  }
  if (account.phase === 'signedOut' || !account.jid) {
    // Keyed by the invite: one that arrives after the first render starts the form afresh.
    return (
      <Onboarding
        key={props.invite ?? ''}
        {...(props.invite ? { initialInvite: props.invite } : {})}
      />
    );
  }
  return <Signed jid={account.jid} platform={props.platform} />;
}

function Signed(props: { jid: string; platform: Platform }) {
  const { t } = useTranslation();
  const controller = useController();
  const account = useAccount();
  const active = useAppActive();
  useEffect(() => {
    if (account.phase === 'online') void controller.setActive(active);
  }, [controller, active, account.phase]);
  const chats = useChats();
  const [route, setRoute] = useState<Route>({ screen: 'list' });
  const toList = () => setRoute({ screen: 'list' });
  const connection = controller.current;
  const connected = account.phase === 'online';
  const contacts = connection?.contacts;
  // People by name: the one given here (roster), else the one they gave themselves (XEP-0172).
  const nameOf = useCallback((jid: string) => contacts?.displayName(jid), [contacts]);
  const [ownName, setOwnName] = useState<string | undefined>();
  // Names are read once per connection: this account's own, and those of people shown without one.
  const asked = useRef(new Set<string>());
  useEffect(() => {
    asked.current = new Set();
    if (!contacts || !connected) return;
    void contacts.nicknames.fetch(contacts.account).then(setOwnName);
  }, [contacts, connected]);
  useEffect(() => {
    if (!contacts || !connected) return;
    for (const jid of [...chats.items.map((item) => item.peer), ...chats.requests]) {
      const contact = contacts.get(jid);
      // Again once they let this account see their presence: PEP's default access model.
      const key = `${jid} ${contact?.subscription ?? ''}`;
      if (asked.current.has(key) || contact?.name) continue;
      asked.current.add(key);
      void contacts.nicknames.fetch(jid);
    }
  }, [contacts, connected, chats]);
  // The unread count where the platform shows one (the tab's title on the web).
  const unread = chats.items.reduce((sum, item) => sum + item.unread, 0);
  useEffect(() => props.platform.showUnread(unread), [props.platform, unread]);
  // Messages that arrive while the app is not in front (a hidden tab) notify, where allowed.
  const messenger = connection?.messenger;
  const { platform } = props;
  useEffect(() => {
    if (!messenger) return;
    return notifyIncoming(messenger, {
      notifications: platform.notifications,
      inFront: () => AppState.currentState === 'active',
      nameOf: (peer) => controller.current?.contacts.displayName(peer),
      onOpen: (peer) => setRoute({ screen: 'chat', peer }),
    });
  }, [messenger, platform, controller]);
  // Android's back button (and gesture) goes up one screen, as the on-screen arrow does. Browsers
  // have their own back button, and react-native-web warns that BackHandler does nothing there.
  useEffect(() => {
    if (route.screen === 'list' || ReactNativePlatform.OS === 'web') return;
    const up: Route =
      route.screen === 'contact'
        ? { screen: 'chat', peer: route.peer }
        : route.screen === 'scan'
          ? route.peer
            ? { screen: 'contact', peer: route.peer }
            : { screen: 'add' }
          : { screen: 'list' };
    const subscription = BackHandler.addEventListener('hardwareBackPress', () => {
      setRoute(up);
      return true;
    });
    return () => subscription.remove();
  }, [route]);
  // A contact's devices on their details, this account's own devices in the settings.
  const devicesOf =
    route.screen === 'contact'
      ? route.peer
      : route.screen === 'settings'
        ? (account.jid ?? undefined)
        : undefined;
  const [devices, setDevices] = useState<readonly OmemoDeviceInfo[] | undefined>();
  useEffect(() => {
    const omemo = controller.current?.omemo;
    if (!devicesOf || !omemo) return;
    let live = true;
    omemo.devices(devicesOf).then(
      (list) => live && setDevices(list),
      () => live && setDevices([]),
    );
    return () => {
      live = false;
      setDevices(undefined);
    };
  }, [controller, devicesOf, connected]);
  const [fingerprint, setFingerprint] = useState<string | undefined>();
  const [verificationUri, setVerificationUri] = useState<string | undefined>();
  useEffect(() => {
    if (!connected) return;
    void controller.current?.omemo?.fingerprint().then(setFingerprint, () => undefined);
    void controller.current?.omemo?.verificationUri().then(setVerificationUri, () => undefined);
  }, [controller, connected]);

  /**
   * Follows a pasted or scanned code (client/scanned-code.ts) and opens what it led to: the chat
   * with someone added, the details of someone whose device was verified.
   */
  const openCode = async (text: string, expected?: string) => {
    const { contacts, omemo } = controller.requireConnection();
    const result = await followCode(
      text,
      {
        account: contacts.account,
        isContact: (jid) => contacts.get(jid) !== undefined,
        add: async (jid) => (await contacts.add(jid)).jid,
        acceptInvite: async (uri) => (await contacts.acceptInviteLink(uri)).jid,
        verify: async (uri) => {
          if (!omemo) {
            throw new HushError('NoOmemoDevice', i18n.t('app.noEncryption'));
          }
          await omemo.verifyUri(uri);
        },
      },
      expected,
    );
    await controller.chats?.refresh();
    if (!result.verified) setRoute({ screen: 'chat', peer: result.jid });
    else if (result.jid === contacts.account) setRoute({ screen: 'settings' });
    else setRoute({ screen: 'contact', peer: result.jid });
    return result.jid;
  };

  switch (route.screen) {
    case 'list':
      return (
        <ChatList
          jid={props.jid}
          phase={account.phase}
          chats={chats}
          error={account.error}
          nameOf={nameOf}
          onDismissError={() => controller.clearError()}
          onOpen={(peer) => setRoute({ screen: 'chat', peer })}
          onAdd={() => setRoute({ screen: 'add' })}
          onSettings={() => setRoute({ screen: 'settings' })}
          onApprove={(jid) =>
            void connection?.contacts.approve(jid).then(() => controller.chats?.refresh())
          }
          onDeny={(jid) =>
            void connection?.contacts.deny(jid).then(() => controller.chats?.refresh())
          }
        />
      );
    case 'chat':
      return (
        <Conversation
          peer={route.peer}
          name={displayName(route.peer, nameOf(route.peer))}
          connected={connected}
          visible={active}
          platform={props.platform}
          onBack={toList}
          onDetails={() => setRoute({ screen: 'contact', peer: route.peer })}
        />
      );
    case 'add':
      return (
        <AddContact
          onBack={toList}
          onAdd={(input) => openCode(input)}
          onScan={() => setRoute({ screen: 'scan' })}
        />
      );
    case 'scan': {
      const { peer } = route;
      return peer ? (
        <QrScan
          title={t('scan.verifyTitle')}
          note={t('scan.verifyNote', { name: displayName(peer, nameOf(peer)) })}
          onBack={() => setRoute({ screen: 'contact', peer })}
          onCode={(text) => openCode(text, peer)}
        />
      ) : (
        <QrScan
          title={t('scan.addTitle')}
          note={t('scan.addNote')}
          onBack={() => setRoute({ screen: 'add' })}
          onCode={(text) => openCode(text)}
        />
      );
    }
    case 'contact': {
      const contact = connection?.contacts.get(route.peer);
      return (
        <ContactDetails
          peer={route.peer}
          rosterName={contact?.name}
          nick={connection?.contacts.nicknames.get(route.peer)}
          onRename={async (name) => {
            await controller.requireConnection().contacts.rename(route.peer, name);
          }}
          subscription={contact?.subscription}
          available={connection?.contacts.available(route.peer) ?? false}
          blocked={chats.blocked.includes(route.peer)}
          devices={devices}
          identityChanged={(account.identityChanged ?? []).includes(route.peer)}
          onTrust={async (fingerprint, decision) => {
            const omemo = controller.requireConnection().omemo;
            if (!omemo) return;
            if (decision === 'verify') await omemo.verify(route.peer, fingerprint);
            else if (decision === 'trust') await omemo.trust(route.peer, fingerprint);
            else await omemo.distrust(route.peer, fingerprint);
            controller.identityHandled(route.peer);
            setDevices(await omemo.devices(route.peer, false));
          }}
          onScanToVerify={() => setRoute({ screen: 'scan', peer: route.peer })}
          onBack={() => setRoute({ screen: 'chat', peer: route.peer })}
          onBlock={async (block) => {
            const contacts = controller.requireConnection().contacts;
            await (block ? contacts.block(route.peer) : contacts.unblock(route.peer));
            await controller.chats?.refreshBlocked();
          }}
          onRemove={async () => {
            await controller.requireConnection().contacts.remove(route.peer);
            toList();
          }}
        />
      );
    }
    case 'settings':
      return (
        <Settings
          account={account}
          fingerprint={fingerprint}
          verificationUri={verificationUri}
          notifications={platform.notifications}
          displayName={ownName}
          onSetName={async (name) => {
            setOwnName(await controller.requireConnection().contacts.nicknames.publish(name));
          }}
          devices={devices?.filter((device) => !device.current)}
          onTrust={async (fingerprint, decision) => {
            const omemo = controller.requireConnection().omemo;
            const own = account.jid;
            if (!omemo || !own) return;
            if (decision === 'verify') await omemo.verify(own, fingerprint);
            else if (decision === 'trust') await omemo.trust(own, fingerprint);
            else await omemo.distrust(own, fingerprint);
            controller.identityHandled(own);
            setDevices(await omemo.devices(own, false));
          }}
          onBack={toList}
          onLogOut={() => controller.logOut()}
          onDelete={() => controller.deleteAccount()}
        />
      );
  }
}

/**
 * Resolves with the first outgoing file message in `peer`'s thread that `before` did not hold, once
 * the thread shows it (or undefined after `limitMs`): the message a send just stored.
 */
function newFileMessage(
  controller: AccountController,
  peer: string,
  before: ReadonlySet<string>,
  limitMs = 30_000,
): Promise<StoredMessage | undefined> {
  const thread = controller.chats?.thread(peer);
  if (!thread) return Promise.resolve(undefined);
  const find = () =>
    thread
      .getSnapshot()
      .messages.find(
        (m) => m.direction === 'out' && !before.has(m.id) && /^aesgcm:\/\//i.test(m.body.trim()),
      );
  return new Promise((resolve) => {
    const found = find();
    if (found) return resolve(found);
    const stop = thread.subscribe(() => {
      const message = find();
      if (message) finish(message);
    });
    const timer = setTimeout(() => finish(undefined), limitMs);
    function finish(message: StoredMessage | undefined) {
      stop();
      clearTimeout(timer);
      resolve(message);
    }
  });
}

function Conversation(props: {
  peer: string;
  name: string;
  connected: boolean;
  visible: boolean;
  platform: Platform;
  onBack: () => void;
  onDetails: () => void;
}) {
  const controller = useController();
  const account = useAccount();
  const thread = useThread(props.peer);
  const chats = useChats();
  const { peer } = props;
  const onSeen = useCallback(() => void controller.markSeen(peer), [controller, peer]);
  const sendLabelled = async (send: () => Promise<void>, facts: FileFacts) => {
    const before = new Set(
      controller.chats
        ?.thread(peer)
        .getSnapshot()
        .messages.map((m) => m.id),
    );
    await send();
    // Sent: its label need not hold up the composer.
    void newFileMessage(controller, peer, before).then(
      (message) => message && rememberFile(props.platform.keptFiles, message.body.trim(), facts),
    );
  };
  return (
    <ChatScreen
      identityChanged={(account.identityChanged ?? []).includes(peer)}
      peer={peer}
      name={props.name}
      thread={thread}
      connected={props.connected}
      visible={props.visible}
      available={props.connected && (controller.current?.contacts.available(peer) ?? false)}
      typing={chats.typing.includes(peer)}
      onTyping={(state) => void controller.current?.messenger.sendChatState(peer, state)}
      onBack={props.onBack}
      onDetails={props.onDetails}
      onSend={(text) => controller.sendText(peer, text)}
      onRetry={(id) => void controller.current?.messenger.retry(id)}
      onLoadOlder={() => void controller.chats?.thread(peer).loadOlder()}
      onSeen={onSeen}
      onAttach={async () => {
        const picked = await props.platform.pickFile();
        if (!picked) return;
        // The name and type of what was picked stay on this device, for its label here.
        await sendLabelled(() => controller.sendFile(peer, picked.bytes), {
          name: picked.name,
          mimeType: inspectFile(picked.bytes).mimeType,
        });
      }}
      onVoice={async (recording) => {
        const bytes = await props.platform.readRecording(recording.uri);
        await sendLabelled(() => controller.sendVoice(peer, bytes, recording.mime), {
          mimeType: recording.mime,
          durationMs: recording.durationMs,
        });
      }}
    />
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.border },
  column: {
    flex: 1,
    width: '100%',
    maxWidth: 760,
    alignSelf: 'center',
    backgroundColor: colors.background,
  },
  center: { flex: 1, alignItems: 'center', justifyContent: 'center' },
});
