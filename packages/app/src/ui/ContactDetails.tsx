// A contact: address, presence, their devices' fingerprints (OMEMO), block and remove.
import { useState } from 'react';
import { ScrollView, StyleSheet, Text, View } from 'react-native';
import { i18n, useTranslation } from '../i18n';
import type { OmemoDeviceInfo } from '@hush/core';
import { Avatar, Button, ErrorNotice, Field, Header, LinkButton } from './components';
import { useAction } from './hooks';
import { card, colors, radius, space } from './theme';

export interface ContactDetailsProps {
  peer: string;
  /** The name this account gave them (roster), if any. */
  rosterName?: string | undefined;
  /** The name they gave themselves (XEP-0172), if known. */
  nick?: string | undefined;
  /** Gives them a name of this account's own (stored in the roster); '' removes it. */
  onRename?: (name: string) => Promise<void>;
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

const subscriptions = ['both', 'to', 'from', 'none'] as const;
const subscriptionText = (subscription: string): string =>
  (subscriptions as readonly string[]).includes(subscription)
    ? i18n.t(`contact.subscription.${subscription as (typeof subscriptions)[number]}`)
    : '';

export function ContactDetails(props: ContactDetailsProps) {
  const { t } = useTranslation();
  const { busy, error, run, dismiss } = useAction();
  const act = (work: () => Promise<void>) => () => run(work);
  const [renaming, setRenaming] = useState<string | undefined>();
  const shown = props.rosterName?.trim() || props.nick?.trim();
  const { onRename } = props;
  const rename = onRename
    ? () => void run(() => onRename((renaming ?? '').trim()).then(() => setRenaming(undefined)))
    : undefined;
  return (
    <View style={styles.screen}>
      <Header title={shown ?? t('contact.title')} onBack={props.onBack} />
      <ScrollView contentContainerStyle={styles.body}>
        {error ? <ErrorNotice error={error} onDismiss={dismiss} /> : null}
        <View style={styles.identity}>
          <Avatar jid={props.peer} name={shown} size={72} />
          {shown ? (
            <Text style={styles.jid} testID="contact-name">
              {shown}
            </Text>
          ) : null}
          <Text style={shown ? styles.address : styles.jid} selectable testID="contact-address">
            {props.peer}
          </Text>
          <Text style={styles.muted}>
            {props.available ? t('contact.online') : t('contact.offline')}
            {' · '}
            {props.subscription ? subscriptionText(props.subscription) : t('contact.notInContacts')}
          </Text>
        </View>
        {rename && props.subscription !== undefined ? (
          <View style={styles.card}>
            <Field
              label={t('contact.nameLabel')}
              testID="contact-name-input"
              value={renaming ?? props.rosterName ?? ''}
              onChangeText={setRenaming}
              placeholder={props.nick ?? t('contact.namePlaceholder')}
              hint={t('contact.nameHint')}
              autoCapitalize="words"
              onSubmitEditing={rename}
            />
            <Button
              title={t('contact.saveName')}
              kind="secondary"
              busy={busy}
              disabled={renaming === undefined || renaming.trim() === (props.rosterName ?? '')}
              onPress={rename}
              testID="contact-name-save"
            />
          </View>
        ) : null}
        <Text style={styles.section}>{t('contact.keys')}</Text>
        {props.identityChanged ? (
          <View style={styles.warning} testID="identity-changed">
            <Text style={styles.warningText}>{t('contact.identityChanged')}</Text>
          </View>
        ) : null}
        <View style={styles.card} testID="fingerprints">
          {props.devices === undefined ? (
            <Text style={styles.muted}>{t('contact.loadingDevices')}</Text>
          ) : props.devices.length === 0 ? (
            <Text style={styles.muted}>{t('contact.noDevices')}</Text>
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
        <Text style={styles.muted}>{t('contact.compare')}</Text>
        <Button
          title={t('contact.scanToVerify')}
          kind="secondary"
          onPress={props.onScanToVerify}
          testID="scan-to-verify"
        />
        <View style={styles.actions}>
          <Button
            title={props.blocked ? t('contact.unblock') : t('contact.block')}
            kind={props.blocked ? 'secondary' : 'danger'}
            busy={busy}
            onPress={() => void act(() => props.onBlock(!props.blocked))()}
            testID="block-contact"
          />
          {props.subscription !== undefined ? (
            <Button
              title={t('contact.remove')}
              kind="secondary"
              onPress={() => void act(props.onRemove)()}
            />
          ) : null}
        </View>
      </ScrollView>
    </View>
  );
}

/** 64 hex digits in groups of eight, as other clients show them. */
export function groupFingerprint(hex: string): string {
  return (hex.match(/.{1,8}/g) ?? []).join(' ');
}

/** One OMEMO device: its fingerprint, trust, and the decisions that can be taken about it. */
export function Device(props: {
  device: OmemoDeviceInfo;
  onTrust: (decision: 'verify' | 'trust' | 'distrust') => void;
}) {
  const { t } = useTranslation();
  const { device } = props;
  return (
    <View style={styles.fingerprint} testID={`device-${device.deviceId}`}>
      <Text style={styles.mono} selectable>
        {device.fingerprint ? groupFingerprint(device.fingerprint) : t('device.notFetched')}
      </Text>
      <Text style={[styles.muted, device.trust === 'untrusted' && styles.warningText]}>
        {t('device.line', { id: device.deviceId, trust: t(`device.trust.${device.trust}`) })}
        {device.stale ? t('device.inactive') : ''}
      </Text>
      {device.fingerprint ? (
        <View style={styles.trustActions}>
          {device.trust !== 'verified' ? (
            <LinkButton title={t('device.markVerified')} onPress={() => props.onTrust('verify')} />
          ) : null}
          {device.trust === 'untrusted' || device.trust === 'distrusted' ? (
            <LinkButton title={t('device.trustAction')} onPress={() => props.onTrust('trust')} />
          ) : null}
          {device.trust !== 'distrusted' ? (
            <LinkButton title={t('device.refuse')} onPress={() => props.onTrust('distrust')} />
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
  address: { color: colors.muted },
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
