// The chat list and what opens from it (adding someone, the scanner, a link opened while signed
// in), and the first screen while signed out.
import { useMemo } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { toHushError } from '@hush/core';
import { useNavigation } from '@react-navigation/native';
import type { NativeStackScreenProps } from '@react-navigation/native-stack';
import { readScannedCode } from '../../client/scanned-code';
import { useTranslation } from '../../i18n';
import { AddContact } from '../../ui/AddContact';
import { ChatList } from '../../ui/ChatList';
import { displayName } from '../../ui/ChatList';
import { Avatar, Button, ErrorNotice, Header } from '../../ui/components';
import { useAccount, useAction, useChats, useController } from '../../ui/hooks';
import { Onboarding } from '../../ui/Onboarding';
import { QrScan } from '../../ui/QrScan';
import { colors, space } from '../../ui/theme';
import { followAndOpen } from '../codes';
import { closeTop, openChat, openFromList } from '../open';
import type { RootStackParamList } from '../routes';

type Props<Name extends keyof RootStackParamList> = NativeStackScreenProps<
  RootStackParamList,
  Name
>;

/** How a screen names someone: the name given here (roster), else the one they gave themselves. */
function useNameOf() {
  const contacts = useController().current?.contacts;
  return useMemo(() => (jid: string) => contacts?.displayName(jid), [contacts]);
}

/**
 * The chat list, wired to the account. On phones it is the stack's first screen; on wide screens
 * it stays in the left pane, outside the stack, and what it opens shows beside it.
 */
export function ChatListPane() {
  // The stack's own navigation in a screen; the container's in the left pane.
  const navigation = useNavigation();
  const controller = useController();
  const account = useAccount();
  const chats = useChats();
  const nameOf = useNameOf();
  const contacts = controller.current?.contacts;
  return (
    <ChatList
      jid={account.jid ?? ''}
      phase={account.phase}
      chats={chats}
      error={account.error}
      nameOf={nameOf}
      onDismissError={() => controller.clearError()}
      onOpen={(peer) => openChat(navigation, peer)}
      onAdd={() => openFromList(navigation, 'Add')}
      onSettings={() => openFromList(navigation, 'Settings')}
      onApprove={(jid) => void contacts?.approve(jid).then(() => controller.chats?.refresh())}
      onDeny={(jid) => void contacts?.deny(jid).then(() => controller.chats?.refresh())}
    />
  );
}

/** The right pane with no chat open, beside the list on wide screens. */
export function NothingOpen() {
  const { t } = useTranslation();
  return (
    <View style={styles.nothing} testID="no-chat-open">
      <Text style={styles.brand}>{t('app.name')}</Text>
      <Text style={styles.tagline}>{t('app.tagline')}</Text>
    </View>
  );
}

export function AddRoute({ navigation }: Props<'Add'>) {
  const controller = useController();
  return (
    <AddContact
      onBack={() => closeTop(navigation)}
      onAdd={(input) => followAndOpen(controller, navigation, input)}
      onScan={() => navigation.navigate('Scan')}
    />
  );
}

export function ScanRoute({ route, navigation }: Props<'Scan'>) {
  const { t } = useTranslation();
  const controller = useController();
  const nameOf = useNameOf();
  const peer = route.params?.jid;
  return peer ? (
    <QrScan
      title={t('scan.verifyTitle')}
      note={t('scan.verifyNote', { name: displayName(peer, nameOf(peer)) })}
      onBack={() => closeTop(navigation)}
      onCode={(text) => followAndOpen(controller, navigation, text, peer)}
    />
  ) : (
    <QrScan
      title={t('scan.addTitle')}
      note={t('scan.addNote')}
      onBack={() => closeTop(navigation)}
      onCode={(text) => followAndOpen(controller, navigation, text)}
    />
  );
}

/**
 * A link opened while signed in (an invite, an xmpp: address, a device's code): who it names, and
 * one button to add them. A link that names nobody says why, and nothing is done.
 */
export function InviteRoute({ route, navigation }: Props<'Invite'>) {
  const { t } = useTranslation();
  const controller = useController();
  // Opened with the app, the link is read before the connection is up: adding waits for it.
  const connected = useAccount().phase === 'online';
  const { link } = route.params;
  const { busy, error, run, dismiss } = useAction();
  const read = useMemo(() => {
    try {
      return { code: readScannedCode(link) };
    } catch (failure) {
      return { error: toHushError(failure) };
    }
  }, [link]);
  return (
    <View style={styles.screen}>
      <Header title={t('add.title')} onBack={() => closeTop(navigation)} />
      <View style={styles.body}>
        {read.error ? <ErrorNotice error={read.error} /> : null}
        {error ? <ErrorNotice error={error} onDismiss={dismiss} /> : null}
        {read.code ? (
          <>
            <View style={styles.person} testID="invite-person">
              <Avatar jid={read.code.jid} size={56} />
              <Text style={styles.address} selectable>
                {read.code.jid}
              </Text>
            </View>
            <Text style={styles.note}>{t('add.note')}</Text>
            <Button
              title={t('add.add')}
              busy={busy}
              disabled={!connected}
              onPress={() => void run(() => followAndOpen(controller, navigation, link))}
              testID="add-contact"
            />
          </>
        ) : null}
      </View>
    </View>
  );
}

export function WelcomeRoute({ route }: Props<'Welcome'>) {
  const invite = route.params?.invite;
  // Keyed by the invite: one that arrives while the form is open starts it afresh.
  return <Onboarding key={invite ?? ''} {...(invite ? { initialInvite: invite } : {})} />;
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  body: { padding: space.l, width: '100%', maxWidth: 560, alignSelf: 'center' },
  person: { alignItems: 'center', gap: space.s, marginBottom: space.l },
  address: { color: colors.text, fontSize: 18, fontWeight: '600' },
  note: { color: colors.muted, marginBottom: space.m },
  nothing: {
    flex: 1,
    alignItems: 'center',
    justifyContent: 'center',
    padding: space.xl,
    backgroundColor: colors.background,
  },
  brand: { fontSize: 32, fontWeight: '800', color: colors.accent },
  tagline: { color: colors.muted, marginTop: space.s, textAlign: 'center' },
});
