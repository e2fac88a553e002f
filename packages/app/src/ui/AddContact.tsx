// Add someone by address (name@server), by the contact invite link they sent, or by their QR code.
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from '../i18n';
import { Button, ErrorNotice, Field, Header } from './components';
import { useAction } from './hooks';
import { colors, space } from './theme';

export function AddContact(props: {
  onBack: () => void;
  onAdd: (input: string) => Promise<string>;
  /** Opens the QR scanner (a contact's QR code or invite). */
  onScan: () => void;
}) {
  const { t } = useTranslation();
  const [input, setInput] = useState('');
  const { busy, error, run, dismiss } = useAction();
  const add = () => run(() => props.onAdd(input.trim()));
  return (
    <View style={styles.screen}>
      <Header title={t('add.title')} onBack={props.onBack} />
      <View style={styles.body}>
        {error ? <ErrorNotice error={error} onDismiss={dismiss} /> : null}
        <Field
          label={t('add.label')}
          testID="contact-input"
          value={input}
          onChangeText={setInput}
          placeholder={t('add.placeholder')}
          keyboardType="email-address"
          onSubmitEditing={() => void add()}
        />
        <Text style={styles.note}>{t('add.note')}</Text>
        <Button
          title={t('add.add')}
          onPress={() => void add()}
          busy={busy}
          disabled={!input.trim()}
          testID="add-contact"
        />
        <View style={styles.scan}>
          <Button
            title={t('add.scan')}
            kind="secondary"
            onPress={props.onScan}
            testID="open-scanner"
          />
          <Text style={styles.note}>{t('add.scanNote')}</Text>
        </View>
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  body: { padding: space.l, width: '100%', maxWidth: 560, alignSelf: 'center' },
  note: { color: colors.muted, marginBottom: space.m },
  scan: { marginTop: space.xl, gap: space.s },
});
