// The push setting: on or off for this device, and what a wake-up tells the push service.
import { useSyncExternalStore } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from '../i18n';
import { Button } from '../ui/components';
import { card, colors } from '../ui/theme';
import type { PushController } from './controller';
import { pushWords } from './words';

export function PushCard(props: { controller: PushController }) {
  const { i18n } = useTranslation();
  const words = pushWords(i18n.language);
  const { controller } = props;
  const status = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const canTurnOn = status === 'off' || status === 'failed';
  return (
    <View style={styles.card} testID="push">
      <Text style={styles.label}>{words.title}</Text>
      <Text style={styles.note} testID={`push-status-${status}`}>
        {words.status[status]}
      </Text>
      {canTurnOn ? (
        <Button
          title={words.turnOn}
          kind="secondary"
          onPress={() => void controller.enable()}
          testID="push-turn-on"
        />
      ) : null}
      {status === 'on' ? (
        <Button
          title={words.turnOff}
          kind="secondary"
          onPress={() => void controller.disable()}
          testID="push-turn-off"
        />
      ) : null}
      <Text style={styles.note}>{words.note}</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  card,
  label: { color: colors.muted },
  note: { color: colors.muted, fontSize: 13 },
});
