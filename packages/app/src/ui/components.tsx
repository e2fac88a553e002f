// Building blocks shared by the screens.
import type { ReactNode } from 'react';
import {
  ActivityIndicator,
  Pressable,
  StyleSheet,
  Text,
  TextInput,
  View,
  type TextInputProps,
} from 'react-native';
import { useTranslation } from '../i18n';
import type { HushError } from '@hush/core';
import { colors, radius, space } from './theme';
import { errorDetail, errorTitle } from './errors';

export function Button(props: {
  title: string;
  onPress: () => void;
  kind?: 'primary' | 'secondary' | 'danger';
  disabled?: boolean;
  busy?: boolean;
  testID?: string;
  /** What a screen reader says instead of the title, where the title alone is ambiguous. */
  accessibilityLabel?: string;
}) {
  const kind = props.kind ?? 'primary';
  const disabled = props.disabled === true || props.busy === true;
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityState={{ disabled, busy: props.busy === true }}
      {...(props.accessibilityLabel ? { accessibilityLabel: props.accessibilityLabel } : {})}
      testID={props.testID}
      disabled={disabled}
      onPress={props.onPress}
      style={({ pressed }) => [
        styles.button,
        kind === 'primary' && styles.primary,
        kind === 'secondary' && styles.secondary,
        kind === 'danger' && styles.danger,
        pressed && styles.dimmed,
        // Not merely dimmed like a press: greyed, so it reads as unavailable (busy keeps its colour).
        disabled &&
          !props.busy &&
          (kind === 'secondary' ? styles.disabledOutline : styles.disabled),
      ]}
    >
      {props.busy ? (
        <ActivityIndicator color={kind === 'secondary' ? colors.accent : colors.accentText} />
      ) : (
        <Text
          style={[
            styles.buttonText,
            kind === 'secondary' && styles.secondaryText,
            disabled && styles.disabledText,
          ]}
        >
          {props.title}
        </Text>
      )}
    </Pressable>
  );
}

export function Field(props: TextInputProps & { label: string; hint?: string }) {
  const { label, hint, style, ...input } = props;
  return (
    <View style={styles.field}>
      <Text style={styles.label}>{label}</Text>
      <TextInput
        placeholderTextColor={colors.muted}
        autoCapitalize="none"
        autoCorrect={false}
        accessibilityLabel={label}
        style={[styles.input, style]}
        {...input}
      />
      {hint ? <Text style={styles.hint}>{hint}</Text> : null}
    </View>
  );
}

export function ErrorNotice(props: { error: HushError; onDismiss?: () => void }) {
  const { t } = useTranslation();
  const title = errorTitle(props.error);
  const detail = errorDetail(props.error);
  return (
    <View style={styles.error} accessibilityRole="alert" testID="error-notice">
      <Text style={styles.errorTitle} testID={`error-${props.error.code}`}>
        {title}
      </Text>
      {/* The error's facts in the app's language, or core's message (English, for people). */}
      {detail === undefined ? null : <Text style={styles.errorDetail}>{detail}</Text>}
      {props.onDismiss ? (
        <Pressable accessibilityRole="button" onPress={props.onDismiss}>
          <Text style={styles.errorDismiss}>{t('common.dismiss')}</Text>
        </Pressable>
      ) : null}
    </View>
  );
}

export function Header(props: {
  title: string;
  subtitle?: string;
  onBack?: () => void;
  right?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <View style={styles.header}>
      {props.onBack ? (
        <Pressable
          accessibilityRole="button"
          accessibilityLabel={t('common.back')}
          testID="back"
          onPress={props.onBack}
          style={styles.back}
        >
          <Text style={styles.backText}>‹</Text>
        </Pressable>
      ) : null}
      <View style={styles.headerTitles}>
        <Text style={styles.headerTitle} numberOfLines={1}>
          {props.title}
        </Text>
        {props.subtitle ? (
          // Two lines: beside wider buttons (Russian's) the connection state must not be cut off.
          <Text style={styles.headerSubtitle} numberOfLines={2} testID="header-subtitle">
            {props.subtitle}
          </Text>
        ) : null}
      </View>
      {props.right}
    </View>
  );
}

/** The first letter of a name (or of the address's local part), whole even when outside the BMP. */
export function initial(name: string | undefined, jid: string): string {
  const source = name?.trim() || jid.split('@')[0] || jid;
  const first = Array.from(source)[0];
  return first ? first.toLocaleUpperCase() : '?';
}

export function Avatar(props: { jid: string; name?: string | undefined; size?: number }) {
  const size = props.size ?? 40;
  const letter = initial(props.name, props.jid);
  // A stable hue per address, so a person keeps their colour.
  let hash = 0;
  for (const char of props.jid) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return (
    <View
      style={[
        styles.avatar,
        {
          width: size,
          height: size,
          borderRadius: size / 2,
          backgroundColor: `hsl(${hash % 360}, 45%, 45%)`,
        },
      ]}
    >
      <Text
        style={[styles.avatarText, { fontSize: size * 0.45 }]}
        importantForAccessibility="no"
        aria-hidden
        testID="avatar-initial"
      >
        {letter}
      </Text>
    </View>
  );
}

export function LinkButton(props: { title: string; onPress: () => void; testID?: string }) {
  return (
    <Pressable accessibilityRole="button" testID={props.testID} onPress={props.onPress}>
      <Text style={styles.link}>{props.title}</Text>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  button: {
    minHeight: 44,
    borderRadius: radius.s,
    paddingHorizontal: space.l,
    alignItems: 'center',
    justifyContent: 'center',
  },
  primary: { backgroundColor: colors.accent },
  secondary: { backgroundColor: colors.surface, borderWidth: 1, borderColor: colors.accent },
  danger: { backgroundColor: colors.danger },
  dimmed: { opacity: 0.6 },
  disabled: { backgroundColor: colors.border },
  disabledOutline: { borderColor: colors.border },
  disabledText: { color: colors.muted },
  buttonText: { color: colors.accentText, fontSize: 16, fontWeight: '600' },
  secondaryText: { color: colors.accent },
  field: { marginBottom: space.m },
  label: { color: colors.text, fontSize: 14, fontWeight: '600', marginBottom: space.xs },
  input: {
    borderWidth: 1,
    borderColor: colors.border,
    borderRadius: radius.s,
    backgroundColor: colors.surface,
    paddingHorizontal: space.m,
    paddingVertical: space.s,
    fontSize: 16,
    minHeight: 44,
    color: colors.text,
  },
  hint: { color: colors.muted, fontSize: 12, marginTop: space.xs },
  error: {
    backgroundColor: colors.dangerSurface,
    borderColor: colors.danger,
    borderWidth: 1,
    borderRadius: radius.s,
    padding: space.m,
    marginBottom: space.m,
  },
  errorTitle: { color: colors.danger, fontWeight: '700', fontSize: 15 },
  errorDetail: { color: colors.text, marginTop: space.xs },
  errorDismiss: { color: colors.danger, marginTop: space.s, fontWeight: '600' },
  header: {
    flexDirection: 'row',
    alignItems: 'center',
    paddingHorizontal: space.m,
    paddingVertical: space.s,
    minHeight: 56,
    backgroundColor: colors.surface,
    borderBottomWidth: 1,
    borderBottomColor: colors.border,
    gap: space.s,
  },
  back: { paddingHorizontal: space.s, paddingVertical: space.xs },
  backText: { fontSize: 30, color: colors.accent, lineHeight: 32 },
  headerTitles: { flex: 1 },
  headerTitle: { fontSize: 18, fontWeight: '700', color: colors.text },
  headerSubtitle: { fontSize: 13, color: colors.muted },
  avatar: { alignItems: 'center', justifyContent: 'center' },
  avatarText: { color: '#fff', fontWeight: '700' },
  link: { color: colors.accent, fontWeight: '600', fontSize: 15, padding: space.xs },
});
