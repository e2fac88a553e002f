// The push setting: on or off for this device, and what a wake-up tells the push service.
import { useSyncExternalStore } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from '../i18n';
import { Button } from '../ui/components';
import { card, colors } from '../ui/theme';
import type { PushController, PushStatus } from './controller';

export function PushCard(props: { controller: PushController }) {
  const { t } = useTranslation();
  const { controller } = props;
  const status = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const canTurnOn = status === 'off' || status === 'failed';
  return (
    <View style={styles.card} testID="push">
      <Text style={styles.label}>{t('push.title')}</Text>
      <Text style={styles.note} testID={`push-status-${status}`}>
        {t(`push.status.${status satisfies PushStatus}`)}
      </Text>
      {canTurnOn ? (
        <Button
          title={t('push.turnOn')}
          kind="secondary"
          onPress={() => void controller.enable()}
          testID="push-turn-on"
        />
      ) : null}
      {status === 'on' ? (
        <Button
          title={t('push.turnOff')}
          kind="secondary"
          onPress={() => void controller.disable()}
          testID="push-turn-off"
        />
      ) : null}
      <Text style={styles.note}>{t('push.note')}</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  card,
  label: { color: colors.muted },
  note: { color: colors.muted, fontSize: 13 },
});
