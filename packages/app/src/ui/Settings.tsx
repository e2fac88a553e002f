// The account: who is logged in where, log out, delete the account.
import { useState } from 'react';
import { ScrollView, StyleSheet, Text, View } from 'react-native';
import type { OmemoDeviceInfo } from '@hush/core';
import type { AccountSnapshot } from '../client/account';
import type { NotificationAccess, Notifications } from '../platform/types';
import { Button, ErrorNotice, Header } from './components';
import { phaseLabel } from './ChatList';
import { Device, groupFingerprint } from './ContactDetails';
import { useAction } from './hooks';
import { QrShareCard } from './QrShareCard';
import { card, colors, radius, space } from './theme';

export function Settings(props: {
  account: AccountSnapshot;
  /** This device's OMEMO fingerprint, for others to compare. */
  fingerprint: string | undefined;
  /** This device's verification URI (xmpp:JID?omemo-sid-ID=FP), shown as a QR code. */
  verificationUri: string | undefined;
  /** System notifications for messages arriving while the app is not in front. */
  notifications?: Notifications;
  /** This account's other OMEMO devices; undefined while loading or without encryption. */
  devices?: readonly OmemoDeviceInfo[] | undefined;
  onTrust?: (fingerprint: string, decision: 'verify' | 'trust' | 'distrust') => Promise<void>;
  onBack: () => void;
  onLogOut: () => Promise<void>;
  onDelete: () => Promise<void>;
}) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run, dismiss } = useAction();
  return (
    <View style={styles.screen}>
      <Header title="Settings" onBack={props.onBack} />
      <ScrollView contentContainerStyle={styles.body}>
        {error ? <ErrorNotice error={error} onDismiss={dismiss} /> : null}
        <View style={styles.card}>
          <Row label="Account" value={props.account.jid ?? ''} />
          <Row label="Server" value={props.account.service ?? ''} />
          <Row label="Connection" value={phaseLabel[props.account.phase]} />
        </View>
        <View style={styles.card} testID="own-fingerprint">
          <Text style={styles.label}>This device's encryption key</Text>
          <Text style={styles.mono} selectable>
            {props.fingerprint ? groupFingerprint(props.fingerprint) : '…'}
          </Text>
          <Text style={styles.note}>Contacts compare it with what their app shows for you.</Text>
        </View>
        <QrShareCard jid={props.account.jid} verificationUri={props.verificationUri} />
        {props.notifications ? <NotificationCard notifications={props.notifications} /> : null}
        <View style={styles.card} testID="own-devices">
          <Text style={styles.label}>Your other devices</Text>
          {props.devices === undefined ? (
            <Text style={styles.note}>Loading…</Text>
          ) : props.devices.length === 0 ? (
            <Text style={styles.note}>
              None: this is the only device of {props.account.jid} with encryption keys.
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
          <Text style={styles.note}>
            Messages are encrypted for these too. Refuse a device you do not recognise, then change
            your password.
          </Text>
        </View>
        <Button
          title="Log out"
          kind="secondary"
          busy={busy}
          onPress={() => void run(props.onLogOut, { stay: false })}
          testID="log-out"
        />
        <Text style={styles.note}>
          Logging out removes the password from this device; your messages here stay.
        </Text>
        {confirming ? (
          <View style={styles.danger}>
            <Text style={styles.dangerText}>
              Delete {props.account.jid} on the server and everything on this device? This cannot be
              undone.
            </Text>
            <Button
              title="Delete my account"
              kind="danger"
              busy={busy}
              onPress={() => void run(props.onDelete, { stay: false })}
              testID="confirm-delete"
            />
            <Button title="Keep it" kind="secondary" onPress={() => setConfirming(false)} />
          </View>
        ) : (
          <Button
            title="Delete account…"
            kind="danger"
            onPress={() => setConfirming(true)}
            testID="delete-account"
          />
        )}
      </ScrollView>
    </View>
  );
}

const accessText: Record<NotificationAccess, string> = {
  granted: 'On: new messages show a notification while Hush is not in front.',
  default: 'Off. Turn them on to see new messages while Hush is not in front.',
  denied: 'Blocked for this site: allow notifications in the browser’s site settings.',
  unsupported: 'Not available here yet: they need push, which Hush does not have yet.',
};

function NotificationCard(props: { notifications: Notifications }) {
  const [access, setAccess] = useState(() => props.notifications.access());
  return (
    <View style={styles.card} testID="notifications">
      <Text style={styles.label}>Notifications</Text>
      <Text style={styles.note} testID={`notifications-${access}`}>
        {accessText[access]}
      </Text>
      {access === 'default' ? (
        <Button
          title="Turn on notifications"
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
