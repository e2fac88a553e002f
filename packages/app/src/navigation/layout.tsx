// How the screens sit in the window: one column on phones (and narrow windows), the chat list beside
// what is open from TWO_PANE_MIN_WIDTH on. The stack is the same either way, so turning a tablet or
// resizing a window keeps what is open.
import type { ReactNode } from 'react';
import { Platform, StyleSheet, useWindowDimensions, View } from 'react-native';
import { useIsFocused } from '@react-navigation/native';
import { colors } from '../ui/theme';
import { ChatListPane, NothingOpen } from './screens/ListRoutes';
import { TWO_PANE_MIN_WIDTH } from './routes';

/** Whether the window is wide enough for the list beside the chat. */
export function useTwoPanes(): boolean {
  return useWindowDimensions().width >= TWO_PANE_MIN_WIDTH;
}

/** The window's content: a phone-like column when narrow, wider with two panes. */
export function AppColumn(props: { twoPanes: boolean; children: ReactNode }) {
  // The page's main landmark, the same element whatever the width (a role that changed with the
  // width would change the element and remount the navigator); with two panes the list inside it
  // is the navigation landmark.
  return (
    <View style={[styles.column, props.twoPanes ? styles.wide : styles.narrow]} role="main">
      {props.children}
    </View>
  );
}

/** The signed-in stack with the chat list on its left (the navigator's layout on wide screens). */
export function TwoPanes(props: { children: ReactNode }) {
  return (
    <View style={styles.panes}>
      <View style={styles.listPane} testID="list-pane" role="navigation">
        <ChatListPane />
      </View>
      <View style={styles.openPane} testID="open-pane">
        {props.children}
      </View>
    </View>
  );
}

/** The stack's first screen: the list on phones; beside the list, the pane with nothing open. */
export function ChatsRoute() {
  return useTwoPanes() ? <NothingOpen /> : <ChatListPane />;
}

/**
 * On the web a screen under the top one would only be hidden (display: none), and nothing slides it
 * back into view, so it is not kept: the page holds what is shown, one copy of each control (a
 * query for the back button finds one), and hidden screens do not render for nothing. Phones keep
 * it for the back gesture, which shows it while the top one slides away.
 */
function TopOnly(props: { children: ReactNode }) {
  return useIsFocused() ? props.children : null;
}

export const screenLayout =
  Platform.OS === 'web'
    ? ({ children }: { children: ReactNode }) => <TopOnly>{children}</TopOnly>
    : undefined;

const styles = StyleSheet.create({
  column: {
    flex: 1,
    width: '100%',
    alignSelf: 'center',
    backgroundColor: colors.background,
  },
  narrow: { maxWidth: 760 },
  wide: { maxWidth: 1440 },
  panes: { flex: 1, flexDirection: 'row' },
  listPane: {
    width: 360,
    borderRightWidth: 1,
    borderRightColor: colors.border,
    backgroundColor: colors.background,
  },
  openPane: { flex: 1 },
});
