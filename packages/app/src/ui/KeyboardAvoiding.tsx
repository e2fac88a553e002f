// A screen that keeps its bottom (the composer, a form's last field) above the keyboard on iOS and
// Android. Android apps now draw edge to edge, under the status and navigation bars, so the window
// no longer shrinks for the keyboard (adjustResize has nothing left to resize): as on iOS, the
// screen pads itself by what the keyboard covers. KeyboardAvoidingView measures itself from its
// parent, not from the top of the screen: the safe area's top inset above every screen (App.tsx)
// is its offset, or it stops short by that much.
import { useContext, type ReactNode } from 'react';
import { KeyboardAvoidingView, type StyleProp, type ViewStyle } from 'react-native';
import { SafeAreaInsetsContext } from 'react-native-safe-area-context';

export function KeyboardAvoiding(props: { style?: StyleProp<ViewStyle>; children: ReactNode }) {
  const top = useContext(SafeAreaInsetsContext)?.top ?? 0;
  return (
    <KeyboardAvoidingView style={props.style} behavior="padding" keyboardVerticalOffset={top}>
      {props.children}
    </KeyboardAvoidingView>
  );
}
