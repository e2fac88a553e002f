// A contact: address, presence, their devices' fingerprints (OMEMO), block and remove.
import { ScrollView, StyleSheet, Text, View } from 'react-native';
import type { OmemoDeviceInfo } from '@hush/core';
import { Avatar, Button, ErrorNotice, Header, LinkButton } from './components';
import { useAction } from './hooks';
import { card, colors, radius, space } from './theme';

export interface ContactDetailsProps {
  peer: string;
  subscription: string | undefined;
  available: boolean;
  blocked: boolean;
  /** The contact's OMEMO devices; undefined while loading or without encryption. */
  devices: readonly OmemoDeviceInfo[] | undefined;
  identityChanged: boolean;
  onTrust: (fingerprint: string, decision: 'verify' | 'trust' | 'distrust') => Promise<void>;
  /** Opens the QR scanner to verify their device from the code their app shows. */
  onScanToVerify: () => void;
  onBack: () => void;
  onBlock: (block: boolean) => Promise<void>;
  onRemove: () => Promise<void>;
}

const subscriptionText: Record<string, string> = {
  both: 'You see each other online',
  to: 'You see when they are online',
  from: 'They see when you are online',
  none: 'Not sharing presence',
};

export function ContactDetails(props: ContactDetailsProps) {
  const { busy, error, run, dismiss } = useAction();
  const act = (work: () => Promise<void>) => () => run(work);
  return (
    <View style={styles.screen}>
      <Header title="Contact" onBack={props.onBack} />
      <ScrollView contentContainerStyle={styles.body}>
        {error ? <ErrorNotice error={error} onDismiss={dismiss} /> : null}
        <View style={styles.identity}>
          <Avatar jid={props.peer} size={72} />
          <Text style={styles.jid} selectable>
            {props.peer}
          </Text>
          <Text style={styles.muted}>
            {props.available ? 'Online' : 'Offline'}
            {props.subscription
              ? ` · ${subscriptionText[props.subscription] ?? ''}`
              : ' · Not in your contacts'}
          </Text>
        </View>
        <Text style={styles.section}>Encryption keys</Text>
        {props.identityChanged ? (
          <View style={styles.warning} testID="identity-changed">
            <Text style={styles.warningText}>
              One of their devices has a new key. Nothing is encrypted for it until you compare its
              fingerprint with them and trust it, or refuse it.
            </Text>
          </View>
        ) : null}
        <View style={styles.card} testID="fingerprints">
          {props.devices === undefined ? (
            <Text style={styles.muted}>Loading their devices…</Text>
          ) : props.devices.length === 0 ? (
            <Text style={styles.muted}>
              No encryption keys published yet: encrypted messages cannot reach them until they use
              an app with end-to-end encryption (OMEMO).
            </Text>
          ) : (
            props.devices.map((device) => (
              <Device
                key={device.deviceId}
                device={device}
                onTrust={(decision) => {
                  const fingerprint = device.fingerprint;
                  if (fingerprint) void act(() => props.onTrust(fingerprint, decision))();
                }}
              />
            ))
          )}
        </View>
        <Text style={styles.muted}>
          Compare fingerprints in person or on a call: when they match, mark the device verified. Or
          scan the QR code their app shows in its settings.
        </Text>
        <Button
          title="Scan to verify"
          kind="secondary"
          onPress={props.onScanToVerify}
          testID="scan-to-verify"
        />
        <View style={styles.actions}>
          <Button
            title={props.blocked ? 'Unblock' : 'Block'}
            kind={props.blocked ? 'secondary' : 'danger'}
            busy={busy}
            onPress={() => void act(() => props.onBlock(!props.blocked))()}
            testID="block-contact"
          />
          {props.subscription !== undefined ? (
            <Button
              title="Remove from contacts"
              kind="secondary"
              onPress={() => void act(props.onRemove)()}
            />
          ) : null}
        </View>
      </ScrollView>
    </View>
  );
}

const trustText: Record<OmemoDeviceInfo['trust'], string> = {
  blind: 'Trusted on first use, not verified',
  verified: 'Verified',
  untrusted: 'New key — not trusted yet',
  distrusted: 'Refused',
};

/** 64 hex digits in groups of eight, as other clients show them. */
export function groupFingerprint(hex: string): string {
  return (hex.match(/.{1,8}/g) ?? []).join(' ');
}

/** One OMEMO device: its fingerprint, trust, and the decisions that can be taken about it. */
export function Device(props: {
  device: OmemoDeviceInfo;
  onTrust: (decision: 'verify' | 'trust' | 'distrust') => void;
}) {
  const { device } = props;
  return (
    <View style={styles.fingerprint} testID={`device-${device.deviceId}`}>
      <Text style={styles.mono} selectable>
        {device.fingerprint ? groupFingerprint(device.fingerprint) : 'Key not fetched yet'}
      </Text>
      <Text style={[styles.muted, device.trust === 'untrusted' && styles.warningText]}>
        Device {device.deviceId} · {trustText[device.trust]}
        {device.stale ? ' · inactive' : ''}
      </Text>
      {device.fingerprint ? (
        <View style={styles.trustActions}>
          {device.trust !== 'verified' ? (
            <LinkButton title="Mark verified" onPress={() => props.onTrust('verify')} />
          ) : null}
          {device.trust === 'untrusted' || device.trust === 'distrusted' ? (
            <LinkButton title="Trust" onPress={() => props.onTrust('trust')} />
          ) : null}
          {device.trust !== 'distrusted' ? (
            <LinkButton title="Refuse" onPress={() => props.onTrust('distrust')} />
          ) : null}
        </View>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  body: { padding: space.l, width: '100%', maxWidth: 560, alignSelf: 'center', gap: space.m },
  identity: { alignItems: 'center', gap: space.s, marginBottom: space.m },
  jid: { fontSize: 20, fontWeight: '700', color: colors.text },
  muted: { color: colors.muted },
  section: { fontWeight: '700', color: colors.text, fontSize: 15 },
  card,
  fingerprint: { gap: 2, paddingVertical: space.xs },
  trustActions: { flexDirection: 'row', gap: space.s, flexWrap: 'wrap' },
  warning: {
    backgroundColor: colors.warningSurface,
    borderRadius: radius.s,
    borderWidth: 1,
    borderColor: colors.border,
    padding: space.m,
  },
  warningText: { color: colors.danger },
  mono: { fontFamily: 'monospace', color: colors.text },
  actions: { gap: space.s, marginTop: space.m },
});
