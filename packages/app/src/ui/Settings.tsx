// The account: who is logged in where, its devices, whom it blocks, log out, delete the account.
import { useState } from 'react';
import { ScrollView, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from '../i18n';
import type { OmemoDeviceInfo } from '@hush/core';
import type { AccountSnapshot } from '../client/account';
import type { NotificationAccess, Notifications } from '../platform/types';
import { Button, ErrorNotice, Field, Header } from './components';
import { phaseLabel } from './ChatList';
import { Device, groupFingerprint } from './ContactDetails';
import { useAction } from './hooks';
import { BlockedCard, type BlockList } from './Blocked';
import { QrShareCard } from './QrShareCard';
import { PushCard } from '../push/PushCard';
import type { PushController } from '../push/controller';
import { card, colors, radius, space } from './theme';

export function Settings(props: {
  account: AccountSnapshot;
  /** This device's OMEMO fingerprint, for others to compare. */
  fingerprint: string | undefined;
  /** This device's verification URI (xmpp:JID?omemo-sid-ID=FP), shown as a QR code. */
  verificationUri: string | undefined;
  /** System notifications for messages arriving while the app is not in front. */
  notifications?: Notifications;
  /** Push notifications (XEP-0357) while the app is closed, where the server offers them. */
  push?: PushController;
  /** This account's other OMEMO devices; undefined while loading or without encryption. */
  devices?: readonly OmemoDeviceInfo[] | undefined;
  onTrust?: (fingerprint: string, decision: 'verify' | 'trust' | 'distrust') => Promise<void>;
  /** The name this account gives itself (XEP-0172), as last published. */
  displayName?: string | undefined;
  /** Publishes a new name for contacts to see. */
  onSetName?: (name: string) => Promise<void>;
  /** The people this account blocks, with Unblock. */
  blocked?: BlockList;
  /** The name someone was given or gave themselves, where known. */
  nameOf?: (jid: string) => string | undefined;
  onBack: () => void;
  onLogOut: () => Promise<void>;
  onDelete: () => Promise<void>;
}) {
  const { t } = useTranslation();
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run, dismiss } = useAction();
  const [name, setName] = useState<string | undefined>();
  const shownName = name ?? props.displayName ?? '';
  const { onSetName } = props;
  const saveName = onSetName
    ? () => void run(() => onSetName(shownName.trim()).then(() => setName(undefined)))
    : undefined;
  return (
    <View style={styles.screen}>
      <Header title={t('settings.title')} onBack={props.onBack} />
      <ScrollView contentContainerStyle={styles.body}>
        {error ? <ErrorNotice error={error} onDismiss={dismiss} /> : null}
        <View style={styles.card}>
          <Row label={t('settings.account')} value={props.account.jid ?? ''} />
          <Row label={t('settings.server')} value={props.account.service ?? ''} />
          <Row label={t('settings.connection')} value={phaseLabel(props.account.phase)} />
        </View>
        {saveName ? (
          <View style={styles.card} testID="own-name">
            <Field
              label={t('settings.displayName')}
              testID="own-name-input"
              value={shownName}
              onChangeText={setName}
              placeholder={t('settings.displayNamePlaceholder')}
              hint={t('settings.displayNameHint')}
              autoCapitalize="words"
              onSubmitEditing={saveName}
            />
            <Button
              title={t('settings.saveName')}
              kind="secondary"
              busy={busy}
              disabled={name === undefined || name.trim() === (props.displayName ?? '')}
              onPress={saveName}
              testID="own-name-save"
            />
          </View>
        ) : null}
        <View style={styles.card} testID="own-fingerprint">
          <Text style={styles.label}>{t('settings.ownKey')}</Text>
          <Text style={styles.mono} selectable>
            {props.fingerprint ? groupFingerprint(props.fingerprint) : '…'}
          </Text>
          <Text style={styles.note}>{t('settings.ownKeyNote')}</Text>
        </View>
        <QrShareCard jid={props.account.jid} verificationUri={props.verificationUri} />
        {props.notifications ? <NotificationCard notifications={props.notifications} /> : null}
        {props.push ? <PushCard controller={props.push} /> : null}
        <View style={styles.card} testID="own-devices">
          <Text style={styles.label}>{t('settings.otherDevices')}</Text>
          {props.devices === undefined ? (
            <Text style={styles.note}>{t('common.loading')}</Text>
          ) : props.devices.length === 0 ? (
            <Text style={styles.note}>
              {t('settings.noOtherDevices', { account: props.account.jid ?? '' })}
            </Text>
          ) : (
            props.devices.map((device) => (
              <Device
                key={device.deviceId}
                device={device}
                onTrust={(decision) => {
                  const { fingerprint } = device;
                  if (fingerprint && props.onTrust)
                    void run(() => props.onTrust?.(fingerprint, decision) ?? Promise.resolve());
                }}
              />
            ))
          )}
          <Text style={styles.note}>{t('settings.otherDevicesNote')}</Text>
        </View>
        {props.blocked ? (
          <BlockedCard
            list={props.blocked}
            online={props.account.phase === 'online'}
            nameOf={props.nameOf}
          />
        ) : null}
        <Button
          title={t('settings.logOut')}
          kind="secondary"
          busy={busy}
          onPress={() => void run(props.onLogOut, { stay: false })}
          testID="log-out"
        />
        <Text style={styles.note}>{t('settings.logOutNote')}</Text>
        {confirming ? (
          <View style={styles.danger}>
            <Text style={styles.dangerText}>
              {t('settings.deleteConfirm', { account: props.account.jid ?? '' })}
            </Text>
            <Button
              title={t('settings.deleteMine')}
              kind="danger"
              busy={busy}
              onPress={() => void run(props.onDelete, { stay: false })}
              testID="confirm-delete"
            />
            <Button
              title={t('settings.keep')}
              kind="secondary"
              onPress={() => setConfirming(false)}
            />
          </View>
        ) : (
          <Button
            title={t('settings.delete')}
            kind="danger"
            onPress={() => setConfirming(true)}
            testID="delete-account"
          />
        )}
      </ScrollView>
    </View>
  );
}

function NotificationCard(props: { notifications: Notifications }) {
  const { t } = useTranslation();
  const [access, setAccess] = useState(() => props.notifications.access());
  return (
    <View style={styles.card} testID="notifications">
      <Text style={styles.label}>{t('settings.notifications')}</Text>
      <Text style={styles.note} testID={`notifications-${access}`}>
        {t(`settings.access.${access satisfies NotificationAccess}`)}
      </Text>
      {access === 'default' ? (
        <Button
          title={t('settings.notificationsOn')}
          kind="secondary"
          onPress={() => void props.notifications.request().then(setAccess)}
          testID="enable-notifications"
        />
      ) : null}
    </View>
  );
}

function Row(props: { label: string; value: string }) {
  return (
    <View style={styles.row}>
      <Text style={styles.label}>{props.label}</Text>
      <Text style={styles.value} selectable numberOfLines={2}>
        {props.value}
      </Text>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  body: { padding: space.l, gap: space.m, width: '100%', maxWidth: 560, alignSelf: 'center' },
  card,
  row: { flexDirection: 'row', justifyContent: 'space-between', gap: space.m },
  label: { color: colors.muted },
  value: { color: colors.text, flexShrink: 1, textAlign: 'right' },
  note: { color: colors.muted, fontSize: 13 },
  mono: { fontFamily: 'monospace', color: colors.text },
  danger: {
    gap: space.s,
    padding: space.m,
    borderRadius: radius.s,
    backgroundColor: colors.dangerSurface,
    borderWidth: 1,
    borderColor: colors.danger,
  },
  dangerText: { color: colors.text },
});
