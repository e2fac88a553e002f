// One message: its text (or voice/file player), time and, for outgoing ones, its delivery state.
import { Pressable, StyleSheet, Text, View } from 'react-native';
import { fileWords, formatTime, i18n, useTranslation } from '../i18n';
import type { StoredMessage } from '@hush/core';
import { describeBody } from './message-kind';
import { failureReason } from './errors';
import { VoiceBubble } from './VoiceBubble';
import { colors, radius, space } from './theme';

const stateText: Partial<Record<StoredMessage['state'], string>> = {
  pending: '○',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓',
  failed: '⚠',
};

const labelled = ['pending', 'sent', 'delivered', 'read', 'failed'] as const;
const stateLabel = (state: StoredMessage['state']): string =>
  (labelled as readonly string[]).includes(state)
    ? i18n.t(`message.state.${state as (typeof labelled)[number]}`)
    : '';

export function StateMark(props: { message: StoredMessage }) {
  const { state } = props.message;
  useTranslation();
  return (
    <Text
      accessibilityLabel={stateLabel(state)}
      testID={`state-${props.message.id}`}
      style={[styles.state, state === 'read' && styles.read, state === 'failed' && styles.failed]}
    >
      {stateText[state] ?? ''}
    </Text>
  );
}

export function MessageBubble(props: {
  message: StoredMessage;
  /** Who the other side is, for screen readers ("Alice: …"). */
  peerName?: string;
  onRetry?: (id: string) => void;
}) {
  const { t } = useTranslation();
  const { message } = props;
  const out = message.direction === 'out';
  // A file is named by the description kept with it ("notes.txt", "Voice message 0:12").
  const body = describeBody(message.body, fileWords(), message.file);
  const spoken = body.kind === 'text' ? message.body : body.preview;
  return (
    <View
      style={[styles.row, out ? styles.rowOut : styles.rowIn]}
      testID={`message-${message.id}`}
      accessibilityLabel={
        out
          ? t('message.fromYou', { text: spoken, state: stateLabel(message.state) })
          : t('message.fromThem', { name: props.peerName ?? t('common.they'), text: spoken })
      }
    >
      <View
        style={[
          styles.bubble,
          out ? styles.out : styles.in,
          message.state === 'undecryptable' && styles.undecryptable,
        ]}
      >
        {message.state === 'undecryptable' ? (
          <View testID="undecryptable">
            <Text style={styles.undecryptableTitle}>{t('message.undecryptableTitle')}</Text>
            <Text style={styles.meta}>
              {message.failure?.message ?? t('message.notForThisDevice')}
            </Text>
          </View>
        ) : body.kind === 'text' ? (
          <Text style={styles.text} selectable testID="message-text">
            {message.body}
          </Text>
        ) : (
          <VoiceBubble body={body} />
        )}
        {/* Also on the account's own messages: a copy from one of its devices nobody checked. */}
        {message.state !== 'undecryptable' && message.failure?.code === 'UntrustedSender' ? (
          <Text style={styles.untrusted} testID="untrusted-sender">
            {t('message.untrusted', { reason: message.failure.message })}
          </Text>
        ) : null}
        {message.failure?.code === 'Unencrypted' ? (
          <Text style={styles.untrusted} testID="unencrypted-warning">
            {t('message.unencryptedWarning')}
          </Text>
        ) : null}
        <View style={styles.footer}>
          {/* Encrypted is the normal case; a message that travelled in the clear says so. */}
          {!message.encrypted && message.state !== 'undecryptable' ? (
            <Text style={styles.meta} testID="unencrypted">
              {t('message.unencrypted')}
            </Text>
          ) : null}
          <Text style={styles.meta}>{formatTime(message.timestamp)}</Text>
          {out ? <StateMark message={message} /> : null}
        </View>
        {message.state === 'failed' ? (
          <View style={styles.failure}>
            <Text style={styles.failedText}>
              {message.failure
                ? t('message.notSentBecause', { reason: failureReason(message.failure) })
                : t('message.notSent')}
            </Text>
            {props.onRetry ? (
              <Pressable
                accessibilityRole="button"
                testID={`retry-${message.id}`}
                onPress={() => props.onRetry?.(message.id)}
              >
                <Text style={styles.retry}>{t('common.retry')}</Text>
              </Pressable>
            ) : null}
          </View>
        ) : null}
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  row: { paddingHorizontal: space.m, paddingVertical: 3, flexDirection: 'row' },
  rowOut: { justifyContent: 'flex-end' },
  rowIn: { justifyContent: 'flex-start' },
  bubble: {
    maxWidth: '80%',
    borderRadius: radius.m,
    paddingHorizontal: space.m,
    paddingVertical: space.s,
    borderWidth: 1,
    borderColor: colors.border,
  },
  out: { backgroundColor: colors.outgoing, borderColor: colors.outgoing },
  in: { backgroundColor: colors.incoming },
  undecryptable: { backgroundColor: colors.warningSurface, borderStyle: 'dashed' },
  undecryptableTitle: { fontWeight: '600', color: colors.text },
  untrusted: { fontSize: 12, color: colors.danger, marginTop: 2 },
  text: { fontSize: 16, color: colors.text },
  footer: { flexDirection: 'row', justifyContent: 'flex-end', gap: space.xs, marginTop: 2 },
  meta: { fontSize: 11, color: colors.muted },
  state: { fontSize: 11, color: colors.muted },
  read: { color: colors.read },
  failed: { color: colors.danger },
  failure: { flexDirection: 'row', gap: space.s, alignItems: 'center', marginTop: space.xs },
  failedText: { color: colors.danger, fontSize: 13, flexShrink: 1 },
  retry: { color: colors.accent, fontWeight: '700' },
});
