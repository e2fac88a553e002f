// One conversation: its history (newest at the bottom), and a box to write or record.
import { useEffect, useRef, useState } from 'react';
import { FlatList, Platform, Pressable, StyleSheet, Text, TextInput, View } from 'react-native';
import { useTranslation } from '../i18n';
import { toHushError, type HushError, type StoredMessage } from '@hush/core';
import type { ThreadSnapshot } from '../client/chats';
import { RecordButton, type VoiceRecorded } from '../audio/RecordButton';
import { ErrorNotice, Header, LinkButton } from './components';
import { KeyboardAvoiding } from './KeyboardAvoiding';
import { MessageBubble } from './MessageBubble';
import { colors, radius, space } from './theme';

export interface ChatScreenProps {
  peer: string;
  /** The name to show for the peer (see ChatList's displayName); the address otherwise. */
  name?: string;
  thread: ThreadSnapshot;
  connected: boolean;
  /** The app is in front: only then does a message count as read. */
  visible: boolean;
  available: boolean;
  /** The peer is typing (XEP-0085 composing). */
  typing?: boolean;
  /** Tells the peer this person is typing or stopped; sent sparingly (see useTypingNotice). */
  onTyping?: (state: 'composing' | 'paused') => void;
  /** One of the peer's devices has a new identity key that nobody decided about yet. */
  identityChanged?: boolean;
  onBack: () => void;
  onDetails: () => void;
  onSend: (text: string) => Promise<void>;
  onRetry: (id: string) => void;
  onLoadOlder: () => void;
  /** The person is looking at the newest incoming message: mark it read (XEP-0333). */
  onSeen: () => void;
  onVoice: (recording: VoiceRecorded) => Promise<void>;
  /** Picks a file and sends it (encrypted); resolves once sent, or when the person cancelled. */
  onAttach?: () => Promise<void>;
  /**
   * Enter sends and Shift+Enter starts a new line: with a keyboard (the web). On phones the
   * keyboard's return key makes new lines and the send button sends. Defaults to the web.
   */
  enterSends?: boolean;
}

/** What a key press in the composer does: send on a plain Enter, else what the key does. */
export function composerKey(
  key: { key: string; shiftKey?: boolean; isComposing?: boolean },
  enterSends: boolean,
): 'send' | 'type' {
  // An input method composing text (Japanese, Chinese) takes Enter to confirm the text.
  if (!enterSends || key.key !== 'Enter' || key.shiftKey || key.isComposing) return 'type';
  return 'send';
}

/**
 * A refusal of what was just picked (too large, quota, an empty file) says all it needs to in a
 * glance and goes after this long; other errors stay until dismissed.
 */
export const GLANCE_ERROR_MS = 8_000;
const GLANCE_ERRORS = new Set([
  'FileTooLarge',
  'QuotaExceeded',
  'VoiceTooLong',
  'UnsupportedContent',
]);

/** After this long without a keystroke, 'paused' follows 'composing'. */
export const PAUSED_AFTER_MS = 5_000;

/**
 * XEP-0085 from the composer: 'composing' once when typing starts (again only after a pause),
 * 'paused' after PAUSED_AFTER_MS without a keystroke, when the text is cleared, or when the screen
 * closes mid-sentence. A sent message carries 'active' itself, so sending just resets the state.
 */
function useTypingNotice(onTyping: ChatScreenProps['onTyping']) {
  const composing = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const notify = useRef(onTyping);
  useEffect(() => {
    notify.current = onTyping;
  }, [onTyping]);
  const stop = (tell: boolean) => {
    clearTimeout(timer.current);
    timer.current = undefined;
    if (composing.current && tell) notify.current?.('paused');
    composing.current = false;
  };
  useEffect(() => () => stop(true), []);
  return {
    changed(text: string) {
      if (!text.trim()) return stop(true);
      if (!composing.current) notify.current?.('composing');
      composing.current = true;
      clearTimeout(timer.current);
      timer.current = setTimeout(() => stop(true), PAUSED_AFTER_MS);
    },
    sent: () => stop(false),
  };
}

export function ChatScreen(props: ChatScreenProps) {
  const { t } = useTranslation();
  const name = props.name ?? props.peer;
  const enterSends = props.enterSends ?? Platform.OS === 'web';
  const [text, setText] = useState('');
  const typingNotice = useTypingNotice(props.onTyping);
  const [error, setError] = useState<HushError | undefined>();
  useEffect(() => {
    if (!error || !GLANCE_ERRORS.has(error.code)) return;
    const timer = setTimeout(() => setError(undefined), GLANCE_ERROR_MS);
    return () => clearTimeout(timer);
  }, [error]);
  const list = useRef<FlatList<StoredMessage>>(null);
  const messages = props.thread.messages;
  const lastIncomingUnread = [...messages]
    .reverse()
    .find((m) => m.direction === 'in' && m.state !== 'read');
  const { onSeen } = props;

  useEffect(() => {
    if (lastIncomingUnread && props.connected && props.visible) onSeen();
  }, [lastIncomingUnread?.id, lastIncomingUnread, props.connected, props.visible, onSeen]);

  const send = async () => {
    const body = text.trim();
    if (!body) return;
    setText('');
    typingNotice.sent();
    try {
      await props.onSend(body);
    } catch (failure) {
      setText(body);
      setError(toHushError(failure));
    }
  };

  const [sendingVoice, setSendingVoice] = useState(false);
  const [sendingFile, setSendingFile] = useState(false);
  const attach = async () => {
    if (!props.onAttach) return;
    setSendingFile(true);
    try {
      await props.onAttach();
    } catch (failure) {
      setError(toHushError(failure));
    } finally {
      setSendingFile(false);
    }
  };
  const voice = async (recording: VoiceRecorded) => {
    setSendingVoice(true);
    try {
      await props.onVoice(recording);
    } catch (failure) {
      setError(toHushError(failure));
    } finally {
      setSendingVoice(false);
    }
  };

  return (
    <KeyboardAvoiding style={styles.screen}>
      <Header
        title={name}
        subtitle={
          props.typing ? t('chat.typing') : props.available ? t('chat.online') : t('chat.offline')
        }
        onBack={props.onBack}
        right={
          <LinkButton title={t('chat.info')} onPress={props.onDetails} testID="open-contact" />
        }
      />
      {props.identityChanged ? (
        <Pressable
          accessibilityRole="button"
          testID="identity-changed-banner"
          onPress={props.onDetails}
          style={styles.identity}
        >
          <Text style={styles.identityText}>{t('chat.identityChanged', { name })}</Text>
        </Pressable>
      ) : null}
      {error ? (
        <View style={styles.notice}>
          <ErrorNotice error={error} onDismiss={() => setError(undefined)} />
        </View>
      ) : null}
      <FlatList
        ref={list}
        testID="messages"
        data={messages as StoredMessage[]}
        keyExtractor={(m) => m.id}
        renderItem={({ item }) => (
          <MessageBubble message={item} peerName={name} onRetry={props.onRetry} />
        )}
        contentContainerStyle={styles.listContent}
        onContentSizeChange={() => list.current?.scrollToEnd({ animated: false })}
        ListHeaderComponent={
          props.thread.hasOlder ? (
            <LinkButton title={t('chat.earlier')} onPress={props.onLoadOlder} />
          ) : undefined
        }
        ListEmptyComponent={
          props.thread.loaded ? <Text style={styles.empty}>{t('chat.empty')}</Text> : undefined
        }
      />
      {!props.connected ? (
        <Text style={styles.offline} testID="composer-offline">
          {t('chat.offlineComposer')}
        </Text>
      ) : sendingVoice ? (
        <Text style={styles.offline} testID="voice-sending">
          {t('chat.sendingVoice')}
        </Text>
      ) : sendingFile ? (
        <Text style={styles.offline} testID="file-sending">
          {t('chat.sendingFile')}
        </Text>
      ) : null}
      <View style={styles.composer}>
        {props.onAttach ? (
          <Pressable
            accessibilityRole="button"
            accessibilityLabel={t('chat.attach')}
            testID="attach-button"
            disabled={!props.connected || sendingFile}
            onPress={() => void attach()}
            style={[styles.attach, (!props.connected || sendingFile) && styles.disabled]}
          >
            <Text style={styles.attachText}>+</Text>
          </Pressable>
        ) : null}
        <TextInput
          testID="composer-input"
          accessibilityLabel={t('chat.message')}
          style={styles.input}
          value={text}
          onChangeText={(value) => {
            setText(value);
            typingNotice.changed(value);
          }}
          placeholder={t('chat.message')}
          placeholderTextColor={colors.muted}
          multiline
          onKeyPress={(e) => {
            const native = e.nativeEvent as {
              key: string;
              shiftKey?: boolean;
              isComposing?: boolean;
            };
            if (composerKey(native, enterSends) === 'send') {
              e.preventDefault();
              void send();
            }
          }}
        />
        {text.trim() ? (
          <Pressable
            accessibilityRole="button"
            accessibilityLabel={t('chat.send')}
            testID="send-button"
            onPress={() => void send()}
            style={styles.send}
          >
            <Text style={styles.sendText}>➤</Text>
          </Pressable>
        ) : (
          <RecordButton onRecorded={(r) => void voice(r)} disabled={!props.connected} />
        )}
      </View>
    </KeyboardAvoiding>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  notice: { paddingHorizontal: space.m, paddingTop: space.m },
  identity: { backgroundColor: colors.warningSurface, padding: space.m },
  identityText: { color: colors.danger },
  listContent: { paddingVertical: space.m, flexGrow: 1 },
  empty: { color: colors.muted, textAlign: 'center', marginTop: space.xl },
  offline: {
    textAlign: 'center',
    color: colors.muted,
    paddingVertical: space.xs,
    paddingHorizontal: space.l,
  },
  composer: {
    flexDirection: 'row',
    alignItems: 'flex-end',
    gap: space.s,
    padding: space.s,
    backgroundColor: colors.surface,
    borderTopWidth: 1,
    borderTopColor: colors.border,
  },
  input: {
    flex: 1,
    minHeight: 44,
    maxHeight: 140,
    borderWidth: 1,
    borderColor: colors.border,
    borderRadius: radius.m,
    paddingHorizontal: space.m,
    paddingVertical: 10,
    fontSize: 16,
    color: colors.text,
    backgroundColor: colors.background,
  },
  send: {
    width: 44,
    height: 44,
    borderRadius: 22,
    backgroundColor: colors.accent,
    alignItems: 'center',
    justifyContent: 'center',
  },
  sendText: { color: colors.accentText, fontSize: 18 },
  attach: { width: 36, height: 44, alignItems: 'center', justifyContent: 'center' },
  attachText: { color: colors.accent, fontSize: 30, fontWeight: '300', lineHeight: 34 },
  disabled: { opacity: 0.4 },
});
