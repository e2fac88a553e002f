// The account's conversations, newest first, with requests (contact requests, and strangers who
// wrote first: Requests.tsx) above them. People show by the name they gave themselves or were
// given (the address only in their details).
import { FlatList, Pressable, StyleSheet, Text, View } from 'react-native';
import { fileWords, formatTime, i18n, useTranslation } from '../i18n';
import type { HushError, StoredMessage } from '@hush/core';
import type { AccountPhase } from '../client/account';
import type { ChatListItem, ChatsSnapshot } from '../client/chats';
import { Avatar, Button, ErrorNotice, Header, LinkButton } from './components';
import { Requests } from './Requests';
import { StateMark } from './MessageBubble';
import { describeBody, fileLabel } from './message-kind';
import { useFileFacts } from './file-labels';
import { useOptionalPlatform } from './hooks';
import { colors, space } from './theme';

export { formatTime };

export const phaseLabel = (phase: AccountPhase): string => i18n.t(`phase.${phase}`);

/** The name to show for `jid`: the given one, else the address's local part. */
export function displayName(jid: string, name: string | undefined): string {
  return name?.trim() || (jid.split('@')[0] ?? jid);
}

export function ChatList(props: {
  jid: string;
  phase: AccountPhase;
  chats: ChatsSnapshot;
  error?: HushError | undefined;
  /** The name someone gave themselves or was given, when known (core's Contacts.displayName). */
  nameOf?: (jid: string) => string | undefined;
  onDismissError?: () => void;
  onOpen: (peer: string) => void;
  onAdd: () => void;
  onSettings: () => void;
  onApprove: (jid: string) => void;
  onDeny: (jid: string) => void;
  /** For strangers' requests; the account's chat store does it when these are not given. */
  onAddStranger?: (jid: string) => Promise<void>;
  onBlock?: (jid: string) => Promise<void>;
  onReport?: (jid: string) => Promise<void>;
}) {
  const { t } = useTranslation();
  const { chats } = props;
  return (
    // The screen is the page's main landmark (the web): everything on it is inside one.
    <View style={styles.screen}>
      <Header
        title={t('chats.title')}
        subtitle={t('chats.subtitle', { account: props.jid, phase: phaseLabel(props.phase) })}
        right={
          <View style={styles.actions}>
            <LinkButton title={t('chats.add')} onPress={props.onAdd} testID="open-add-contact" />
            <LinkButton
              title={t('chats.settings')}
              onPress={props.onSettings}
              testID="open-settings"
            />
          </View>
        }
      />
      {props.error ? (
        <View style={styles.notice}>
          <ErrorNotice
            error={props.error}
            {...(props.onDismissError ? { onDismiss: props.onDismissError } : {})}
          />
        </View>
      ) : null}
      <Requests
        chats={chats}
        nameOf={(jid) => displayName(jid, props.nameOf?.(jid))}
        preview={(message) => <Preview message={message} awaitingApproval={false} />}
        onApprove={props.onApprove}
        onDeny={props.onDeny}
        onOpen={props.onOpen}
        onAddStranger={props.onAddStranger}
        onBlock={props.onBlock}
        onReport={props.onReport}
      />
      <FlatList
        data={chats.items}
        keyExtractor={(item) => item.peer}
        extraData={[chats.typing, props.nameOf]}
        renderItem={({ item }) => (
          <Row
            item={item}
            name={displayName(item.peer, item.name ?? props.nameOf?.(item.peer))}
            typing={chats.typing.includes(item.peer)}
            onPress={() => props.onOpen(item.peer)}
          />
        )}
        ListEmptyComponent={
          chats.loaded ? (
            <View style={styles.empty}>
              <Text style={styles.emptyTitle}>{t('chats.emptyTitle')}</Text>
              <Text style={styles.emptyText}>{t('chats.emptyText')}</Text>
              <Button title={t('chats.addContact')} onPress={props.onAdd} />
            </View>
          ) : undefined
        }
      />
    </View>
  );
}

/** The last message in a line: its text, or its file's label. */
function Preview(props: { message: StoredMessage | undefined; awaitingApproval: boolean }) {
  const { t } = useTranslation();
  const { message } = props;
  const body =
    message && message.state !== 'undecryptable'
      ? describeBody(message.body, fileWords(), message.file)
      : undefined;
  const platform = useOptionalPlatform();
  const facts = useFileFacts(
    body && body.kind !== 'text' && !body.mimeType && platform ? body.url : undefined,
    platform?.keptFiles ?? noKeptFiles,
  );
  if (!message)
    return <>{props.awaitingApproval ? t('chats.awaitingApproval') : t('chats.noMessages')}</>;
  if (message.state === 'undecryptable') return <>{t('chats.undecryptable')}</>;
  if (!body || body.kind === 'text') return <>{message.body}</>;
  // What its sender described (kept with the message) comes first; what was learnt fills in.
  if (body.mimeType) return <>{body.preview}</>;
  return <>{fileLabel({ kind: body.kind, name: body.name, ...facts }, fileWords())}</>;
}

const noKeptFiles = { read: async () => undefined, write: async () => undefined };

function Row(props: { item: ChatListItem; name: string; typing: boolean; onPress: () => void }) {
  const { t } = useTranslation();
  const { item } = props;
  const last = item.lastMessage;
  return (
    <Pressable
      accessibilityRole="button"
      testID={`chat-${item.peer}`}
      onPress={props.onPress}
      style={({ pressed }) => [styles.row, pressed && styles.pressed]}
    >
      <View>
        <Avatar jid={item.peer} name={props.name} />
        {item.available ? <View style={styles.online} /> : null}
      </View>
      <View style={styles.rowText}>
        <View style={styles.rowTop}>
          <Text style={styles.name} numberOfLines={1} testID={`name-${item.peer}`}>
            {props.name}
          </Text>
          {last ? <Text style={styles.time}>{formatTime(last.timestamp)}</Text> : null}
        </View>
        <View style={styles.rowTop}>
          {props.typing ? (
            <Text style={[styles.preview, styles.typing]} testID={`typing-${item.peer}`}>
              {t('chats.typing')}
            </Text>
          ) : (
            <Text
              style={[styles.preview, last?.state === 'undecryptable' && styles.undecryptable]}
              numberOfLines={1}
              testID={`preview-${item.peer}`}
            >
              {last?.direction === 'out' ? <StateMark message={last} /> : null}
              {last?.direction === 'out' ? ' ' : ''}
              <Preview message={last} awaitingApproval={item.awaitingApproval === true} />
            </Text>
          )}
          {item.unread > 0 ? (
            <View
              style={styles.badge}
              testID={`unread-${item.peer}`}
              accessibilityLabel={t('chats.unread', { count: item.unread })}
            >
              <Text style={styles.badgeText}>{item.unread}</Text>
            </View>
          ) : null}
        </View>
      </View>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  actions: { flexDirection: 'row', gap: space.s },
  notice: { padding: space.m },
  row: {
    flexDirection: 'row',
    paddingHorizontal: space.l,
    paddingVertical: space.m,
    gap: space.m,
    backgroundColor: colors.surface,
    borderBottomWidth: 1,
    borderBottomColor: colors.border,
    alignItems: 'center',
  },
  pressed: { backgroundColor: colors.background },
  online: {
    position: 'absolute',
    right: 0,
    bottom: 0,
    width: 12,
    height: 12,
    borderRadius: 6,
    backgroundColor: '#12b76a',
    borderWidth: 2,
    borderColor: colors.surface,
  },
  rowText: { flex: 1, gap: 2 },
  rowTop: {
    flexDirection: 'row',
    justifyContent: 'space-between',
    alignItems: 'center',
    gap: space.s,
  },
  name: { flex: 1, fontSize: 16, fontWeight: '600', color: colors.text },
  time: { fontSize: 12, color: colors.muted },
  preview: { flex: 1, color: colors.muted },
  typing: { color: colors.accent, fontStyle: 'italic' },
  undecryptable: { fontStyle: 'italic', color: colors.danger },
  badge: {
    minWidth: 22,
    height: 22,
    borderRadius: 11,
    backgroundColor: colors.accent,
    alignItems: 'center',
    justifyContent: 'center',
    paddingHorizontal: 6,
  },
  badgeText: { color: colors.accentText, fontSize: 12, fontWeight: '700' },
  empty: { padding: space.xl, alignItems: 'center', gap: space.m },
  emptyTitle: { fontSize: 18, fontWeight: '700', color: colors.text },
  emptyText: { color: colors.muted, textAlign: 'center' },
});
