import { act, fireEvent, render, screen } from '@testing-library/react-native';
import { Linking } from 'react-native';
// The module jest puts in place of expo-audio (package.json moduleNameMapper): the same instance
// the component gets, so switching its permission here is what the button sees.
import { microphone } from '../../test/expo-audio';
import { RecordButton } from './RecordButton';

// What PanResponder reads from a responder event; no real touches are needed to start a press.
const press = {
  nativeEvent: { touches: [], changedTouches: [] },
  touchHistory: { numberActiveTouches: 0, indexOfSingleActiveTouch: 0, touchBank: [] },
};

describe('RecordButton', () => {
  afterEach(() => {
    Object.assign(microphone, { granted: true, canAskAgain: true });
  });

  it('shows how to allow the microphone when it was refused', async () => {
    Object.assign(microphone, { granted: false, canAskAgain: false });
    const onRecorded = jest.fn();
    await render(<RecordButton onRecorded={onRecorded} />);
    await act(async () => {
      fireEvent(screen.getByTestId('record-button'), 'responderGrant', press);
    });
    expect(await screen.findByTestId('microphone-refused')).toHaveTextContent(
      /Microphone access is off/,
    );
    expect(screen.queryByTestId('recording-indicator')).toBeNull();
    expect(onRecorded).not.toHaveBeenCalled();
  });

  it('opens the system settings from a refusal, as the camera does', async () => {
    Object.assign(microphone, { granted: false, canAskAgain: false });
    const openSettings = jest.spyOn(Linking, 'openSettings').mockResolvedValue(undefined);
    try {
      await render(<RecordButton onRecorded={jest.fn()} />);
      await act(async () => {
        fireEvent(screen.getByTestId('record-button'), 'responderGrant', press);
      });
      fireEvent.press(await screen.findByTestId('microphone-settings'));
      expect(openSettings).toHaveBeenCalledTimes(1);
    } finally {
      openSettings.mockRestore();
    }
  });

  it('shows the live duration while the button is held', async () => {
    await render(<RecordButton onRecorded={jest.fn()} />);
    await act(async () => {
      fireEvent(screen.getByTestId('record-button'), 'responderGrant', press);
    });
    expect(await screen.findByTestId('recording-duration')).toHaveTextContent('0:00');
    expect(screen.getByText('‹ Slide to cancel')).toBeTruthy();
  });
});
