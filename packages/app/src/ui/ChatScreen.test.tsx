import { act, fireEvent, render, screen } from '@testing-library/react-native';
import { DeviceEventEmitter, Platform, StyleSheet } from 'react-native';
import { SafeAreaProvider } from 'react-native-safe-area-context';
import { FileTooLargeError, HushError, VoiceTooLongError } from '@hush/core';
import {
  ChatScreen,
  composerKey,
  GLANCE_ERROR_MS,
  PAUSED_AFTER_MS,
  type ChatScreenProps,
} from './ChatScreen';
import { ErrorNotice } from './components';

function props(overrides: Partial<ChatScreenProps> = {}): ChatScreenProps {
  return {
    peer: 'bob@example.org',
    thread: { loaded: true, messages: [], hasOlder: false },
    connected: true,
    visible: true,
    available: true,
    onBack: jest.fn(),
    onDetails: jest.fn(),
    onSend: jest.fn(() => Promise.resolve()),
    onRetry: jest.fn(),
    onLoadOlder: jest.fn(),
    onSeen: jest.fn(),
    onVoice: jest.fn(() => Promise.resolve()),
    ...overrides,
  };
}

describe('ChatScreen: typing', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('shows that the peer is typing in the header', async () => {
    await render(<ChatScreen {...props({ typing: true })} />);
    expect(screen.getByTestId('header-subtitle')).toHaveTextContent('typing…');
  });

  it('tells composing once, paused after a quiet moment, and nothing more after sending', async () => {
    const onTyping = jest.fn();
    await render(<ChatScreen {...props({ onTyping })} />);
    const input = screen.getByTestId('composer-input');
    await fireEvent.changeText(input, 'H');
    await fireEvent.changeText(input, 'He');
    await fireEvent.changeText(input, 'Hel');
    expect(onTyping.mock.calls).toEqual([['composing']]);
    await act(() => jest.advanceTimersByTime(PAUSED_AFTER_MS));
    expect(onTyping.mock.calls).toEqual([['composing'], ['paused']]);
    // Typing again is composing again; the sent message itself says 'active'.
    await fireEvent.changeText(input, 'Hello');
    await fireEvent.press(screen.getByTestId('send-button'));
    await act(() => jest.advanceTimersByTime(PAUSED_AFTER_MS * 2));
    expect(onTyping.mock.calls).toEqual([['composing'], ['paused'], ['composing']]);
  });

  it('says paused when the text is cleared or the screen closes mid-sentence', async () => {
    const onTyping = jest.fn();
    const view = await render(<ChatScreen {...props({ onTyping })} />);
    const input = screen.getByTestId('composer-input');
    await fireEvent.changeText(input, 'Hm');
    await fireEvent.changeText(input, '');
    expect(onTyping.mock.calls).toEqual([['composing'], ['paused']]);
    await fireEvent.changeText(input, 'Well');
    await view.unmount();
    expect(onTyping.mock.calls).toEqual([['composing'], ['paused'], ['composing'], ['paused']]);
  });
});

describe('ChatScreen: files', () => {
  it('sends a picked file and shows why one was refused', async () => {
    const onAttach = jest
      .fn<Promise<void>, []>()
      .mockResolvedValueOnce(undefined)
      .mockRejectedValueOnce(
        Object.assign(new Error('The file is larger than the server accepts (10 MB).'), {
          name: 'HushError',
          code: 'FileTooLarge',
        }),
      );
    await render(<ChatScreen {...props({ onAttach })} />);
    await fireEvent.press(screen.getByTestId('attach-button'));
    expect(onAttach).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId('error-notice')).toBeNull();
    await fireEvent.press(screen.getByTestId('attach-button'));
    await screen.findByTestId('error-notice');
    expect(screen.getByTestId('error-notice')).toHaveTextContent(/larger than the server accepts/);
  });

  it("states the limit a refused file or recording went over, in the app's sizes", async () => {
    const onAttach = jest
      .fn<Promise<void>, []>()
      .mockRejectedValueOnce(
        new FileTooLargeError('The file is larger than the server accepts (10 MB).', {
          limit: 10 * 1024 * 1024,
          size: 12_000_000,
        }),
      )
      .mockRejectedValueOnce(
        new FileTooLargeError('The file is larger than the server accepts (10 MB).', {
          limit: 10 * 1024 * 1024,
        }),
      );
    await render(<ChatScreen {...props({ onAttach })} />);
    await fireEvent.press(screen.getByTestId('attach-button'));
    const notice = await screen.findByTestId('error-notice');
    expect(screen.getByText('File too large')).toBeTruthy();
    expect(screen.getByText('This file is 11.4 MB; at most 10 MB per file')).toBeTruthy();
    // The facts replace core's English sentence rather than repeat it.
    expect(notice).not.toHaveTextContent(/larger than the server accepts/);
    await fireEvent.press(screen.getByText('Dismiss'));
    await fireEvent.press(screen.getByTestId('attach-button'));
    await screen.findByTestId('error-notice');
    expect(screen.getByText('At most 10 MB per file')).toBeTruthy();
  });

  it('states how long a refused recording was and how long one may be', async () => {
    const tooLong = new VoiceTooLongError('A voice message may be at most 5 minutes long.', {
      limitMs: 300_000,
      durationMs: 361_000,
    });
    await render(<ErrorNotice error={tooLong} />);
    expect(screen.getByText('This recording is 6:01 long; at most 5:00')).toBeTruthy();
  });

  it('offers no attachment while offline', async () => {
    const onAttach = jest.fn(() => Promise.resolve());
    await render(<ChatScreen {...props({ onAttach, connected: false })} />);
    await fireEvent.press(screen.getByTestId('attach-button'));
    expect(onAttach).not.toHaveBeenCalled();
  });
});

describe('ChatScreen: keyboard', () => {
  // A phone 900 points tall with a 50-point status bar and a 30-point home indicator, as the app
  // lays it out (App.tsx: a SafeAreaView around every screen), and a 300-point keyboard.
  const metrics = {
    frame: { x: 0, y: 0, width: 400, height: 900 },
    insets: { top: 50, bottom: 30, left: 0, right: 0 },
  };
  const keyboard = { screenX: 0, screenY: 600, width: 400, height: 300 };

  it.each([
    ['android', 'keyboardDidShow'],
    ['ios', 'keyboardWillShow'],
  ] as const)('keeps the composer above the keyboard on %s', async (os, event) => {
    jest.replaceProperty(Platform, 'OS', os);
    await render(
      <SafeAreaProvider initialMetrics={metrics}>
        <ChatScreen {...props()} />
      </SafeAreaProvider>,
    );
    // The screen's outermost view, the one that follows the keyboard (it measures itself).
    let screenView = screen.getByTestId('composer-input');
    while (!screenView.props.onLayout && screenView.parent) screenView = screenView.parent;
    await act(async () => {
      screenView.props.onLayout?.({
        persist: () => undefined,
        // Laid out below the status bar, above the home indicator: y is relative to the parent.
        nativeEvent: { layout: { x: 0, y: 0, width: 400, height: 820 } },
      });
    });
    await act(async () => {
      DeviceEventEmitter.emit(event, { endCoordinates: keyboard, duration: 0 });
    });
    // The screen ends 870 points down; the keyboard starts at 600.
    expect(StyleSheet.flatten(screenView.props.style).paddingBottom).toBe(270);
  });
});

describe('ChatScreen: Enter and Shift+Enter', () => {
  /** A key press in the composer, as react-native-web reports it. */
  const keyPress = (key: string, shiftKey = false) => {
    const preventDefault = jest.fn();
    return { nativeEvent: { key, shiftKey }, preventDefault };
  };

  it('sends on Enter and keeps Shift+Enter for a new line, with a keyboard', async () => {
    const onSend = jest.fn(() => Promise.resolve());
    await render(<ChatScreen {...props({ onSend, enterSends: true })} />);
    const input = screen.getByTestId('composer-input');
    await fireEvent.changeText(input, 'first line');
    const newLine = keyPress('Enter', true);
    await fireEvent(input, 'keyPress', newLine);
    expect(newLine.preventDefault).not.toHaveBeenCalled();
    expect(onSend).not.toHaveBeenCalled();
    await fireEvent.changeText(input, 'first line\nsecond line');
    const enter = keyPress('Enter');
    await fireEvent(input, 'keyPress', enter);
    expect(enter.preventDefault).toHaveBeenCalled();
    expect(onSend).toHaveBeenCalledWith('first line\nsecond line');
    expect(screen.getByTestId('composer-input').props.value).toBe('');
  });

  it("leaves Enter to the phone's keyboard, where the send button sends", async () => {
    const onSend = jest.fn(() => Promise.resolve());
    await render(<ChatScreen {...props({ onSend, enterSends: false })} />);
    const input = screen.getByTestId('composer-input');
    await fireEvent.changeText(input, 'Hello');
    await fireEvent(input, 'keyPress', keyPress('Enter'));
    expect(onSend).not.toHaveBeenCalled();
  });

  it('lets an input method take Enter while it composes', () => {
    expect(composerKey({ key: 'Enter', isComposing: true }, true)).toBe('type');
    expect(composerKey({ key: 'Enter' }, true)).toBe('send');
    expect(composerKey({ key: 'a' }, true)).toBe('type');
  });
});

describe('ChatScreen: errors', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('lets "file too large" go by itself; a failure that needs reading stays', async () => {
    let failure = new HushError('FileTooLarge', 'The file is 11 MB; the server takes up to 10 MB.');
    const onAttach = jest.fn(() => Promise.reject(failure));
    await render(<ChatScreen {...props({ onAttach })} />);
    await act(async () => {
      fireEvent.press(screen.getByTestId('attach-button'));
    });
    expect(screen.getByTestId('error-FileTooLarge')).toBeTruthy();
    await act(async () => {
      jest.advanceTimersByTime(GLANCE_ERROR_MS);
    });
    expect(screen.queryByTestId('error-FileTooLarge')).toBeNull();

    failure = new HushError('UploadFailed', 'The server did not take the file.');
    await act(async () => {
      fireEvent.press(screen.getByTestId('attach-button'));
    });
    await act(async () => {
      jest.advanceTimersByTime(GLANCE_ERROR_MS * 3);
    });
    expect(screen.getByTestId('error-UploadFailed')).toBeTruthy();
  });

  it('shows a message that only repeats its title once', async () => {
    const onSend = jest.fn(() =>
      Promise.reject(
        new HushError('InviteInvalid', 'This invite has already been used or has expired.'),
      ),
    );
    await render(<ChatScreen {...props({ onSend })} />);
    await fireEvent.changeText(screen.getByTestId('composer-input'), 'x');
    await act(async () => {
      fireEvent.press(screen.getByTestId('send-button'));
    });
    expect(screen.getByText('This invite was already used or has expired')).toBeTruthy();
    expect(screen.queryByText('This invite has already been used or has expired.')).toBeNull();
  });
});
