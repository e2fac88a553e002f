import { fireEvent, render, screen } from '@testing-library/react-native';
import type { StoredMessage } from '@hush/core';
import { MessageBubble } from './MessageBubble';

const outgoing = (state: StoredMessage['state'], fields: Partial<StoredMessage> = {}) =>
  ({
    id: `m-${state}`,
    account: 'alice@example.org',
    peer: 'bob@example.org',
    direction: 'out',
    body: `a ${state} message`,
    timestamp: Date.now(),
    state,
    encrypted: false,
    ...fields,
  }) satisfies StoredMessage;

describe('MessageBubble', () => {
  it.each([
    ['pending', 'Sending'],
    ['sent', 'Sent'],
    ['delivered', 'Delivered'],
    ['read', 'Read'],
  ] as const)('shows a %s message as %s', async (state, label) => {
    await render(<MessageBubble message={outgoing(state)} />);
    expect(screen.getByLabelText(label)).toBeTruthy();
    expect(screen.getByText(`a ${state} message`)).toBeTruthy();
  });

  it('offers a retry for a failed message, with the reason', async () => {
    const onRetry = jest.fn();
    await render(
      <MessageBubble
        message={outgoing('failed', {
          failure: { code: 'service-unavailable', message: 'The server could not deliver it.' },
        })}
        onRetry={onRetry}
      />,
    );
    expect(screen.getByText('Not sent: The server could not deliver it.')).toBeTruthy();
    await fireEvent.press(screen.getByTestId('retry-m-failed'));
    expect(onRetry).toHaveBeenCalledWith('m-failed');
  });

  it('shows an undecryptable message as such, never as empty text', async () => {
    await render(
      <MessageBubble
        message={{
          ...outgoing('undecryptable'),
          direction: 'in',
          body: '',
          failure: {
            code: 'NotEncryptedForDevice',
            message: 'It was not encrypted for this device.',
          },
        }}
      />,
    );
    expect(screen.getByText('This message could not be decrypted')).toBeTruthy();
    expect(screen.getByText('It was not encrypted for this device.')).toBeTruthy();
    expect(screen.queryByTestId('message-text')).toBeNull();
  });

  it('marks a message from a refused device, and shows its text', async () => {
    await render(
      <MessageBubble
        message={outgoing('received', {
          direction: 'in',
          encrypted: true,
          body: 'trust me',
          failure: { code: 'UntrustedSender', message: 'Sent from a device you refused (42).' },
        })}
      />,
    );
    expect(screen.getByText('trust me')).toBeTruthy();
    expect(screen.getByTestId('untrusted-sender')).toHaveTextContent(/device you refused \(42\)/);
  });

  it('marks a copy of its own message from a device of the account nobody checked', async () => {
    await render(
      <MessageBubble
        message={outgoing('sent', {
          body: 'from my new laptop',
          failure: { code: 'UntrustedSender', message: 'Sent from a device you have not checked.' },
        })}
      />,
    );
    expect(screen.getByTestId('untrusted-sender')).toHaveTextContent(/not checked/);
  });

  it('warns that a plain message in an encrypted conversation could have been read or changed', async () => {
    await render(
      <MessageBubble
        message={outgoing('received', {
          direction: 'in',
          encrypted: false,
          body: 'psst',
          failure: { code: 'Unencrypted', message: 'Not encrypted.' },
        })}
      />,
    );
    expect(screen.getByText('psst')).toBeTruthy();
    expect(screen.getByTestId('unencrypted-warning')).toHaveTextContent(
      /could have read or changed/,
    );
  });

  it('shows a voice message link as a player', async () => {
    await render(
      <MessageBubble
        message={{ ...outgoing('delivered'), body: 'https://example.org/file_share/x/voice.m4a' }}
      />,
    );
    expect(screen.getByTestId('voice-bubble')).toBeTruthy();
    expect(screen.getByTestId('voice-time')).toHaveTextContent('0:00 / 0:00');
  });
});
