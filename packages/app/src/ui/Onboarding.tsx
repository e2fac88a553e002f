// First screen: join with an invite (name and password of one's choosing) or log in.
import { useState } from 'react';
import { Pressable, ScrollView, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from '../i18n';
import { Button, ErrorNotice, Field, LinkButton } from './components';
import { KeyboardAvoiding } from './KeyboardAvoiding';
import { useAccount, useController } from './hooks';
import { colors, radius, space } from './theme';

type Mode = 'invite' | 'login';

export function Onboarding(props: { initialInvite?: string }) {
  const { t } = useTranslation();
  const controller = useController();
  const account = useAccount();
  const [mode, setMode] = useState<Mode>(props.initialInvite ? 'invite' : 'login');
  const [invite, setInvite] = useState(props.initialInvite ?? '');
  const [username, setUsername] = useState('');
  const [jid, setJid] = useState(account.jid ?? '');
  const [password, setPassword] = useState('');
  const [service, setService] = useState('');
  const [advanced, setAdvanced] = useState(false);

  const switchTo = (next: Mode) => {
    controller.clearError();
    setMode(next);
  };
  const submit = () => {
    const extra = service.trim() ? { service: service.trim() } : {};
    if (mode === 'invite') void controller.signUp({ invite, username, password, ...extra });
    else void controller.logIn({ jid, password, ...extra });
  };

  return (
    <KeyboardAvoiding style={styles.screen}>
      <ScrollView contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
        <Text style={styles.brand}>{t('app.name')}</Text>
        <Text style={styles.tagline}>{t('app.tagline')}</Text>
        <View style={styles.tabs} role="tablist">
          <Tab
            title={t('onboarding.tabInvite')}
            active={mode === 'invite'}
            onPress={() => switchTo('invite')}
            testID="tab-invite"
          />
          <Tab
            title={t('onboarding.tabLogin')}
            active={mode === 'login'}
            onPress={() => switchTo('login')}
            testID="tab-login"
          />
        </View>
        <View style={styles.card}>
          {account.error ? (
            <ErrorNotice error={account.error} onDismiss={() => controller.clearError()} />
          ) : null}
          {mode === 'invite' ? (
            <>
              <Field
                label={t('onboarding.inviteLabel')}
                testID="invite-input"
                value={invite}
                onChangeText={setInvite}
                placeholder={t('onboarding.invitePlaceholder')}
                hint={t('onboarding.inviteHint')}
              />
              <Field
                label={t('onboarding.usernameLabel')}
                testID="username-input"
                value={username}
                onChangeText={setUsername}
                placeholder={t('onboarding.usernamePlaceholder')}
                autoComplete="username-new"
              />
            </>
          ) : (
            <Field
              label={t('onboarding.addressLabel')}
              testID="jid-input"
              value={jid}
              onChangeText={setJid}
              placeholder={t('onboarding.addressPlaceholder')}
              keyboardType="email-address"
              autoComplete="username"
            />
          )}
          <Field
            label={t('onboarding.passwordLabel')}
            testID="password-input"
            value={password}
            onChangeText={setPassword}
            secureTextEntry
            autoComplete={mode === 'invite' ? 'new-password' : 'current-password'}
            onSubmitEditing={submit}
            {...(mode === 'invite' ? { hint: t('onboarding.passwordHint') } : {})}
          />
          {advanced ? (
            <Field
              label={t('onboarding.serverLabel')}
              testID="service-input"
              value={service}
              onChangeText={setService}
              placeholder={t('onboarding.serverPlaceholder')}
              hint={t('onboarding.serverHint')}
            />
          ) : (
            <LinkButton title={t('onboarding.serverSettings')} onPress={() => setAdvanced(true)} />
          )}
          <View style={styles.submit}>
            <Button
              title={mode === 'invite' ? t('onboarding.createAccount') : t('onboarding.logIn')}
              onPress={submit}
              busy={account.busy}
              testID="submit"
            />
          </View>
        </View>
      </ScrollView>
    </KeyboardAvoiding>
  );
}

/** One of the tablist's tabs: a screen reader hears "tab, selected" rather than a plain button. */
function Tab(props: { title: string; active: boolean; onPress: () => void; testID: string }) {
  return (
    <Pressable
      role="tab"
      aria-selected={props.active}
      accessibilityState={{ selected: props.active }}
      style={[styles.tab, props.active && styles.tabActive]}
      onPress={props.onPress}
      testID={props.testID}
    >
      <Text style={styles.tabText}>{props.title}</Text>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  content: {
    padding: space.xl,
    width: '100%',
    maxWidth: 480,
    alignSelf: 'center',
    flexGrow: 1,
    justifyContent: 'center',
  },
  brand: { fontSize: 40, fontWeight: '800', color: colors.accent, textAlign: 'center' },
  tagline: { color: colors.muted, textAlign: 'center', marginBottom: space.xl },
  tabs: { flexDirection: 'row', marginBottom: space.m, gap: space.s, justifyContent: 'center' },
  tab: { borderBottomWidth: 2, borderBottomColor: 'transparent', paddingBottom: space.xs },
  tabActive: { borderBottomColor: colors.accent },
  tabText: { color: colors.accent, fontSize: 16, fontWeight: '600', paddingVertical: space.xs },
  card: {
    backgroundColor: colors.surface,
    borderRadius: radius.m,
    padding: space.l,
    borderWidth: 1,
    borderColor: colors.border,
  },
  submit: { marginTop: space.m },
});
