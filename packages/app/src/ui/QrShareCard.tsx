// This device's QR code, for Settings: the verification URI core builds (xmpp:JID?omemo-sid-ID=FP,
// Conversations' format). Scanning it adds the account and verifies this device in one step. Until
// the fingerprint is known (offline, or encryption not set up) the code is the bare address, which
// still adds the account.
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from '../i18n';
import { QrCode } from './QrCode';
import { card, colors, space } from './theme';

export function QrShareCard(props: {
  jid: string | undefined;
  verificationUri: string | undefined;
}) {
  const { t } = useTranslation();
  const value = props.verificationUri ?? (props.jid ? `xmpp:${props.jid}` : undefined);
  return (
    <View style={styles.card} testID="own-qr">
      <Text style={styles.title}>{t('settings.qrTitle')}</Text>
      {value ? (
        <View style={styles.code}>
          <QrCode value={value} size={264} testID="own-qr-code" />
        </View>
      ) : null}
      <Text style={styles.note}>
        {props.verificationUri ? t('settings.qrVerify') : t('settings.qrAdd')}
      </Text>
      {value ? (
        <Text style={styles.link} selectable testID="own-qr-link">
          {value}
        </Text>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  card,
  title: { color: colors.muted },
  code: { alignItems: 'center', paddingVertical: space.s },
  note: { color: colors.muted, fontSize: 13 },
  link: { fontFamily: 'monospace', color: colors.text, fontSize: 12 },
});
