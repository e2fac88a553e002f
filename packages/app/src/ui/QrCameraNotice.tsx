// What the scanner shows instead of the camera picture: asking for the camera, or why there is
// none. The paste field below the scanner stays usable in every case.
import { Platform, StyleSheet, Text, View } from 'react-native';
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
  return (
    <View style={styles.notice} testID={`camera-${props.problem}`}>
      <Text style={[styles.text, props.problem === 'refused' && styles.refused]}>
        {props.problem === 'ask'
          ? 'Hush uses the camera only to read QR codes; nothing is recorded.'
          : props.problem === 'refused'
            ? `Camera access is off. Allow it for Hush in ${
                Platform.OS === 'web' ? "the browser's site settings" : 'Settings'
              } to scan QR codes, or paste the link below.`
            : 'No camera can be used here. Paste the link below instead.'}
      </Text>
      {props.onAllow ? (
        <Button
          title={props.problem === 'ask' ? 'Allow the camera' : 'Try again'}
          onPress={props.onAllow}
          testID="camera-allow"
        />
      ) : null}
      {props.onOpenSettings ? (
        <Button title="Open Settings" kind="secondary" onPress={props.onOpenSettings} />
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
