// First screen: join with an invite (name and password of one's choosing) or log in.
import { useState } from 'react';
import { ScrollView, StyleSheet, Text, View } from 'react-native';
import { Button, ErrorNotice, Field, LinkButton } from './components';
import { KeyboardAvoiding } from './KeyboardAvoiding';
import { useAccount, useController } from './hooks';
import { colors, radius, space } from './theme';

type Mode = 'invite' | 'login';

export function Onboarding(props: { initialInvite?: string }) {
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
        <Text style={styles.brand}>Hush</Text>
        <Text style={styles.tagline}>Private messages on your own server.</Text>
        <View style={styles.tabs} accessibilityRole="tablist">
          <Tab
            title="I have an invite"
            active={mode === 'invite'}
            onPress={() => switchTo('invite')}
            testID="tab-invite"
          />
          <Tab
            title="Log in"
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
                label="Invite link"
                testID="invite-input"
                value={invite}
                onChangeText={setInvite}
                placeholder="xmpp:example.org?register;preauth=…"
                hint="Paste the link you were sent, or open it on this device."
              />
              <Field
                label="Your name"
                testID="username-input"
                value={username}
                onChangeText={setUsername}
                placeholder="alice"
                autoComplete="username-new"
              />
            </>
          ) : (
            <Field
              label="Address"
              testID="jid-input"
              value={jid}
              onChangeText={setJid}
              placeholder="alice@example.org"
              keyboardType="email-address"
              autoComplete="username"
            />
          )}
          <Field
            label="Password"
            testID="password-input"
            value={password}
            onChangeText={setPassword}
            secureTextEntry
            autoComplete={mode === 'invite' ? 'new-password' : 'current-password'}
            onSubmitEditing={submit}
            {...(mode === 'invite' ? { hint: 'At least 8 characters.' } : {})}
          />
          {advanced ? (
            <Field
              label="Server address (optional)"
              testID="service-input"
              value={service}
              onChangeText={setService}
              placeholder="wss://example.org/xmpp-websocket"
              hint="Only needed when the server's websocket is not at wss://DOMAIN/xmpp-websocket."
            />
          ) : (
            <LinkButton title="Server settings" onPress={() => setAdvanced(true)} />
          )}
          <View style={styles.submit}>
            <Button
              title={mode === 'invite' ? 'Create account' : 'Log in'}
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

function Tab(props: { title: string; active: boolean; onPress: () => void; testID: string }) {
  return (
    <View style={[styles.tab, props.active && styles.tabActive]}>
      <LinkButton title={props.title} onPress={props.onPress} testID={props.testID} />
    </View>
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
  card: {
    backgroundColor: colors.surface,
    borderRadius: radius.m,
    padding: space.l,
    borderWidth: 1,
    borderColor: colors.border,
  },
  submit: { marginTop: space.m },
});
