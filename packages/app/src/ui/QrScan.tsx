// The scan screen: the camera (or why there is none) and, always, a field to paste the link
// instead. What a code does is the caller's (App: add a contact, verify a device); a failure is
// shown here and scanning stays paused until it is dismissed, so a wrong code in view does not
// fail again on every frame.
import { useRef, useState } from 'react';
import { ActivityIndicator, ScrollView, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from '../i18n';
import { Button, ErrorNotice, Field, Header } from './components';
import { QrScanner } from './QrScanner';
import { useAction } from './hooks';
import { colors, radius, space } from './theme';

export function QrScan(props: {
  title: string;
  /** What to point the camera at, in a sentence. */
  note: string;
  onBack: () => void;
  /** Follows a scanned or pasted code; the screen shows a rejection. */
  onCode: (text: string) => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const { busy, error, run, dismiss } = useAction();
  const [pasted, setPasted] = useState('');
  // The camera reports a code on every frame it stays in view: one at a time.
  const handling = useRef(false);
  const follow = async (text: string) => {
    if (handling.current || !text.trim()) return;
    handling.current = true;
    await run(() => props.onCode(text.trim()));
    handling.current = false;
  };
  return (
    <View style={styles.screen}>
      <Header title={props.title} onBack={props.onBack} />
      <ScrollView contentContainerStyle={styles.body} keyboardShouldPersistTaps="handled">
        {error ? <ErrorNotice error={error} onDismiss={dismiss} /> : null}
        <Text style={styles.note}>{props.note}</Text>
        <View style={styles.viewfinder} testID="qr-viewfinder">
          <QrScanner onScan={(text) => void follow(text)} paused={busy || error !== undefined} />
          {busy ? (
            <View style={styles.busy} testID="qr-busy">
              <ActivityIndicator color={colors.accentText} size="large" />
            </View>
          ) : null}
        </View>
        <Field
          label={t('scan.pasteLabel')}
          testID="qr-paste-input"
          value={pasted}
          onChangeText={setPasted}
          placeholder={t('scan.pastePlaceholder')}
          keyboardType="url"
          onSubmitEditing={() => void follow(pasted)}
        />
        <Button
          title={t('scan.useLink')}
          kind="secondary"
          busy={busy}
          disabled={!pasted.trim()}
          onPress={() => void follow(pasted)}
          testID="qr-paste-submit"
        />
      </ScrollView>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  body: { padding: space.l, gap: space.m, width: '100%', maxWidth: 560, alignSelf: 'center' },
  note: { color: colors.muted },
  viewfinder: {
    width: '100%',
    maxWidth: 360,
    aspectRatio: 1,
    alignSelf: 'center',
    borderRadius: radius.s,
    overflow: 'hidden',
    backgroundColor: '#000000',
  },
  busy: {
    position: 'absolute',
    top: 0,
    left: 0,
    right: 0,
    bottom: 0,
    alignItems: 'center',
    justifyContent: 'center',
    backgroundColor: 'rgba(0, 0, 0, 0.45)',
  },
});
