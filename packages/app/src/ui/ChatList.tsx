// The account's conversations, newest first, with contact requests above them.
import { FlatList, Pressable, StyleSheet, Text, View } from 'react-native';
import type { StoredMessage } from '@hush/core';
import type { AccountPhase } from '../client/account';
import type { ChatListItem, ChatsSnapshot } from '../client/chats';
import { Avatar, Button, ErrorNotice, Header, LinkButton } from './components';
import { StateMark } from './MessageBubble';
import { describeBody } from './message-kind';
import { colors, radius, space } from './theme';
import type { HushError } from '@hush/core';

export const phaseLabel: Record<AccountPhase, string> = {
  starting: 'Starting…',
  signedOut: 'Signed out',
  offline: 'Offline — reconnecting…',
  connecting: 'Connecting…',
  online: 'Online',
};

export function formatTime(timestamp: number, now = Date.now()): string {
  const date = new Date(timestamp);
  const sameDay = new Date(now).toDateString() === date.toDateString();
  const pad = (n: number) => String(n).padStart(2, '0');
  return sameDay
    ? `${pad(date.getHours())}:${pad(date.getMinutes())}`
    : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function preview(message: StoredMessage | undefined): string {
  if (!message) return 'No messages yet';
  if (message.state === 'undecryptable') return 'Message could not be decrypted';
  return describeBody(message.body).preview;
}

export function ChatList(props: {
  jid: string;
  phase: AccountPhase;
  chats: ChatsSnapshot;
  error?: HushError | undefined;
  onDismissError?: () => void;
  onOpen: (peer: string) => void;
  onAdd: () => void;
  onSettings: () => void;
  onApprove: (jid: string) => void;
  onDeny: (jid: string) => void;
}) {
  const { chats } = props;
  return (
    <View style={styles.screen}>
      <Header
        title="Chats"
        subtitle={`${props.jid} · ${phaseLabel[props.phase]}`}
        right={
          <View style={styles.actions}>
            <LinkButton title="Add" onPress={props.onAdd} testID="open-add-contact" />
            <LinkButton title="Settings" onPress={props.onSettings} testID="open-settings" />
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
      {chats.requests.map((jid) => (
        <View key={jid} style={styles.request} testID={`request-${jid}`}>
          <Text style={styles.requestText}>{jid} wants to add you as a contact.</Text>
          <View style={styles.requestButtons}>
            <Button title="Accept" onPress={() => props.onApprove(jid)} testID={`approve-${jid}`} />
            <Button title="Decline" kind="secondary" onPress={() => props.onDeny(jid)} />
          </View>
        </View>
      ))}
      <FlatList
        data={chats.items}
        keyExtractor={(item) => item.peer}
        extraData={chats.typing}
        renderItem={({ item }) => (
          <Row
            item={item}
            typing={chats.typing.includes(item.peer)}
            onPress={() => props.onOpen(item.peer)}
          />
        )}
        ListEmptyComponent={
          chats.loaded ? (
            <View style={styles.empty}>
              <Text style={styles.emptyTitle}>No chats yet</Text>
              <Text style={styles.emptyText}>
                Add someone by their address or an invite link to start.
              </Text>
              <Button title="Add a contact" onPress={props.onAdd} />
            </View>
          ) : undefined
        }
      />
    </View>
  );
}

function Row(props: { item: ChatListItem; typing: boolean; onPress: () => void }) {
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
        <Avatar jid={item.peer} />
        {item.available ? <View style={styles.online} /> : null}
      </View>
      <View style={styles.rowText}>
        <View style={styles.rowTop}>
          <Text style={styles.name} numberOfLines={1}>
            {item.name ?? item.peer}
          </Text>
          {last ? <Text style={styles.time}>{formatTime(last.timestamp)}</Text> : null}
        </View>
        <View style={styles.rowTop}>
          {props.typing ? (
            <Text style={[styles.preview, styles.typing]} testID={`typing-${item.peer}`}>
              typing…
            </Text>
          ) : (
            <Text
              style={[styles.preview, last?.state === 'undecryptable' && styles.undecryptable]}
              numberOfLines={1}
              testID={`preview-${item.peer}`}
            >
              {last?.direction === 'out' ? <StateMark message={last} /> : null}
              {last?.direction === 'out' ? ' ' : ''}
              {item.awaitingApproval && !last ? 'Waiting for them to accept' : preview(last)}
            </Text>
          )}
          {item.unread > 0 ? (
            <View style={styles.badge} testID={`unread-${item.peer}`}>
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
  request: {
    margin: space.m,
    padding: space.m,
    borderRadius: radius.s,
    backgroundColor: colors.warningSurface,
    borderWidth: 1,
    borderColor: colors.border,
  },
  requestText: { color: colors.text, marginBottom: space.s },
  requestButtons: { flexDirection: 'row', gap: space.s },
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
