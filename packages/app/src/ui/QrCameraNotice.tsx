// What the scanner shows instead of the camera picture: asking for the camera, or why there is
// none. The paste field below the scanner stays usable in every case.
import { Platform, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from '../i18n';
import { Button } from './components';
import { colors, radius, space } from './theme';

export type CameraProblem = 'ask' | 'refused' | 'unavailable';

export function QrCameraNotice(props: {
  problem: CameraProblem;
  /** Asks for the camera again (where the platform still may). */
  onAllow?: () => void;
  /** Opens the system settings where the camera can be allowed (native only). */
  onOpenSettings?: () => void;
}) {
  const { t } = useTranslation();
  return (
    <View style={styles.notice} testID={`camera-${props.problem}`}>
      <Text style={[styles.text, props.problem === 'refused' && styles.refused]}>
        {props.problem === 'ask'
          ? t('scan.cameraAsk')
          : props.problem === 'refused'
            ? Platform.OS === 'web'
              ? t('scan.cameraRefusedWeb')
              : t('scan.cameraRefusedNative')
            : t('scan.cameraUnavailable')}
      </Text>
      {props.onAllow ? (
        <Button
          title={props.problem === 'ask' ? t('scan.allowCamera') : t('scan.tryAgain')}
          onPress={props.onAllow}
          testID="camera-allow"
        />
      ) : null}
      {props.onOpenSettings ? (
        <Button title={t('scan.openSettings')} kind="secondary" onPress={props.onOpenSettings} />
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  notice: {
    flex: 1,
    alignItems: 'center',
    justifyContent: 'center',
    gap: space.m,
    padding: space.l,
    borderRadius: radius.s,
    backgroundColor: colors.surface,
    borderWidth: 1,
    borderColor: colors.border,
  },
  text: { color: colors.muted, textAlign: 'center' },
  refused: { color: colors.danger },
});
