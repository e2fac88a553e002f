import { fireEvent, render, screen } from '@testing-library/react-native';
import { encryptFile, formatAesgcmUrl, type StoredMessage } from '@hush/core';
import type { Platform } from '../platform/types';
import { PlatformContext } from './hooks';
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

  describe('a file its sender described', () => {
    const content = new TextEncoder().encode('the minutes of the meeting');
    const { ciphertext, key, iv } = encryptFile(content);
    // Each test its own address: files.ts keeps what it loaded by link.
    const described = (url: string) =>
      outgoing('received', {
        id: 'm-file',
        direction: 'in',
        encrypted: true,
        body: formatAesgcmUrl(url, key, iv),
        file: {
          name: 'minutes.txt',
          mediaType: 'text/plain',
          size: content.length,
          sha256: new Uint8Array(32),
        },
      });
    const platform = (read: (url: string) => Promise<Uint8Array | undefined>) =>
      ({
        name: 'web',
        keptFiles: { read, write: async () => undefined },
        playableUri: async () => ({ uri: 'blob:minutes', release: () => undefined }),
      }) as unknown as Platform;

    it('is named by its description while it is fetched, and for screen readers', async () => {
      await render(
        <PlatformContext.Provider value={platform(() => new Promise(() => undefined))}>
          <MessageBubble
            message={described('https://upload.example.org/slot/7/encrypted')}
            peerName="Bob"
          />
        </PlatformContext.Provider>,
      );
      expect(screen.getByTestId('file-loading')).toBeTruthy();
      expect(screen.getByTestId('file-label')).toHaveTextContent('minutes.txt');
      expect(screen.getByLabelText(/Bob.*minutes\.txt/)).toBeTruthy();
    });

    it('keeps its name once its bytes are read, where the link names no file', async () => {
      const url = 'https://upload.example.org/slot/8/encrypted';
      await render(
        <PlatformContext.Provider
          value={platform(async (asked) => (asked === url ? ciphertext : undefined))}
        >
          <MessageBubble message={described(url)} />
        </PlatformContext.Provider>,
      );
      expect(await screen.findByTestId('file-bubble')).toBeTruthy();
      expect(screen.getByTestId('file-label')).toHaveTextContent('minutes.txt');
    });
  });
});
