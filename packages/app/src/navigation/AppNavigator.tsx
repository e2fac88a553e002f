// The app's one stack (React Navigation's native stack: UINavigationController and Fragments on
// phones, with their back gestures and Android's back button), its links, the two-pane layout of
// wide windows and the Esc key. Which screens exist follows the account: signed out, only the
// first screen; signed in, the chats and what opens from them. State stays in the controller
// (client/account.ts); the stack only says what is on screen.
import { useMemo } from 'react';
import { ActivityIndicator, StyleSheet, View } from 'react-native';
import {
  DefaultTheme,
  NavigationContainer,
  type NavigationContainerRefWithCurrent,
  type Theme,
} from '@react-navigation/native';
import { createNativeStackNavigator } from '@react-navigation/native-stack';
import type { AccountSnapshot } from '../client/account';
import { useTranslation } from '../i18n';
import { Button, ErrorNotice } from '../ui/components';
import { useAccount, useController } from '../ui/hooks';
import { colors } from '../ui/theme';
import { AppColumn, ChatsRoute, screenLayout, TwoPanes, useTwoPanes } from './layout';
import { createLinking, type LinkSource, type PageLocation } from './linking';
import { closeTop } from './open';
import type { RootStackParamList } from './routes';
import { useEscapeKey } from './shortcuts';
import { ChatRoute } from './screens/ChatRoute';
import { ContactRoute, SettingsRoute } from './screens/AccountRoutes';
import { AddRoute, InviteRoute, ScanRoute, WelcomeRoute } from './screens/ListRoutes';

const Stack = createNativeStackNavigator<RootStackParamList>();

export type AppNavigation = NavigationContainerRefWithCurrent<RootStackParamList>;

const theme: Theme = {
  ...DefaultTheme,
  colors: {
    ...DefaultTheme.colors,
    primary: colors.accent,
    background: colors.background,
    card: colors.surface,
    text: colors.text,
    border: colors.border,
  },
};

/** The web page's address (undefined on phones, where links come through Linking). */
const pageLocation = (): PageLocation | undefined =>
  (globalThis as { location?: PageLocation }).location;

/** Signed in: an account is on this device with its password (connected or not). */
const isSignedIn = (account: AccountSnapshot) =>
  account.phase !== 'starting' &&
  account.phase !== 'unavailable' &&
  account.phase !== 'signedOut' &&
  !!account.jid;

export function AppNavigator(props: {
  navigation: AppNavigation;
  /** Links from elsewhere than the system's Linking (push notifications): linking.ts. */
  linkSources?: readonly LinkSource[];
}) {
  const controller = useController();
  const account = useAccount();
  const { t } = useTranslation();
  const signedIn = isSignedIn(account);
  // A link is read when it arrives: whether someone is signed in is asked of the controller then.
  const { linkSources } = props;
  const linking = useMemo(
    () =>
      createLinking({
        signedIn: () => isSignedIn(controller.getSnapshot()),
        location: pageLocation,
        ...(linkSources ? { sources: linkSources } : {}),
      }),
    [controller, linkSources],
  );
  const twoPanes = useTwoPanes() && signedIn;
  const { navigation } = props;
  useEscapeKey(() => closeTop(navigation));
  if (account.phase === 'starting') {
    return (
      <View style={styles.center} testID="starting">
        <ActivityIndicator color={colors.accent} />
      </View>
    );
  }
  if (account.phase === 'unavailable') {
    // Nothing can start without this device's storage: say why, and offer to try again.
    return (
      <View style={[styles.center, styles.unavailable]} testID="storage-unavailable">
        {account.error ? <ErrorNotice error={account.error} /> : null}
        <Button
          title={t('common.retry')}
          onPress={() => void controller.start()}
          testID="retry-start"
        />
      </View>
    );
  }
  return (
    <AppColumn twoPanes={twoPanes}>
      <NavigationContainer
        ref={navigation}
        linking={linking}
        theme={theme}
        // The tab's title is the app's (with the unread count), not the screen's name.
        documentTitle={{ enabled: false }}
      >
        <Stack.Navigator
          screenOptions={{ headerShown: false, contentStyle: styles.screen }}
          {...(twoPanes ? { layout: TwoPanes } : {})}
          {...(screenLayout ? { screenLayout } : {})}
        >
          {signedIn ? (
            <>
              <Stack.Screen name="Chats" component={ChatsRoute} />
              <Stack.Screen name="Chat" component={ChatRoute} />
              <Stack.Screen name="Contact" component={ContactRoute} />
              <Stack.Screen name="Add" component={AddRoute} />
              <Stack.Screen name="Invite" component={InviteRoute} />
              <Stack.Screen name="Scan" component={ScanRoute} />
              <Stack.Screen name="Settings" component={SettingsRoute} />
            </>
          ) : (
            <Stack.Screen name="Welcome" component={WelcomeRoute} />
          )}
        </Stack.Navigator>
      </NavigationContainer>
    </AppColumn>
  );
}

const styles = StyleSheet.create({
  center: { flex: 1, alignItems: 'center', justifyContent: 'center' },
  unavailable: { padding: 24, gap: 16, alignItems: 'stretch' },
  screen: { backgroundColor: colors.background },
});
