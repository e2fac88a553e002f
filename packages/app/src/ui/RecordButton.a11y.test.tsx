// The hold-to-record button for people who cannot hold: a screen reader's activate starts the
// recording and activating again ends it, an escape action cancels it; a disabled button says so.
import { act, fireEvent, render, screen } from '@testing-library/react-native';
import { RecordButton } from '../audio/RecordButton';

const action = (actionName: string) => ({ nativeEvent: { actionName } });

describe('RecordButton for screen readers', () => {
  it('offers start, then send and cancel, as actions', async () => {
    const onRecorded = jest.fn();
    await render(<RecordButton onRecorded={onRecorded} />);
    const button = screen.getByTestId('record-button');
    expect(button.props.accessibilityLabel).toBe('Record a voice message');
    expect(button.props.accessibilityActions).toEqual([
      { name: 'activate', label: 'Start recording' },
    ]);

    await act(async () => {
      fireEvent(button, 'accessibilityAction', action('activate'));
    });
    await screen.findByTestId('recording-indicator');
    const recordingButton = screen.getByTestId('record-button');
    expect(recordingButton.props.accessibilityLabel).toBe('Recording a voice message');
    expect(recordingButton.props.accessibilityActions).toEqual([
      { name: 'activate', label: 'Send the recording' },
      { name: 'escape', label: 'Cancel the recording' },
    ]);

    await act(async () => {
      fireEvent(recordingButton, 'accessibilityAction', action('escape'));
    });
    expect(screen.queryByTestId('recording-indicator')).toBeNull();
    expect(onRecorded).not.toHaveBeenCalled();
  });

  it('is marked disabled while offline, and its actions do nothing', async () => {
    await render(<RecordButton onRecorded={jest.fn()} disabled />);
    const button = screen.getByTestId('record-button');
    expect(button.props.accessibilityState).toMatchObject({ disabled: true });
    await act(async () => {
      fireEvent(button, 'accessibilityAction', action('activate'));
    });
    expect(screen.queryByTestId('recording-indicator')).toBeNull();
  });
});
