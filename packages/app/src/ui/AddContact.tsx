// Add someone by address (name@server), by the contact invite link they sent, or by their QR code.
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { Button, ErrorNotice, Field, Header } from './components';
import { useAction } from './hooks';
import { colors, space } from './theme';

export function AddContact(props: {
  onBack: () => void;
  onAdd: (input: string) => Promise<string>;
  /** Opens the QR scanner (a contact's QR code or invite). */
  onScan: () => void;
}) {
  const [input, setInput] = useState('');
  const { busy, error, run, dismiss } = useAction();
  const add = () => run(() => props.onAdd(input.trim()));
  return (
    <View style={styles.screen}>
      <Header title="Add a contact" onBack={props.onBack} />
      <View style={styles.body}>
        {error ? <ErrorNotice error={error} onDismiss={dismiss} /> : null}
        <Field
          label="Address or invite link"
          testID="contact-input"
          value={input}
          onChangeText={setInput}
          placeholder="bob@example.org or xmpp:bob@example.org?roster;preauth=…"
          keyboardType="email-address"
          onSubmitEditing={() => void add()}
        />
        <Text style={styles.note}>
          They see a request and can accept it. Messages reach them either way.
        </Text>
        <Button
          title="Add"
          onPress={() => void add()}
          busy={busy}
          disabled={!input.trim()}
          testID="add-contact"
        />
        <View style={styles.scan}>
          <Button
            title="Scan a QR code"
            kind="secondary"
            onPress={props.onScan}
            testID="open-scanner"
          />
          <Text style={styles.note}>
            Their QR code is in Settings in Hush. Scanning it also verifies their device.
          </Text>
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
