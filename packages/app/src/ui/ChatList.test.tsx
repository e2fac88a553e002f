import { fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import type { StoredMessage } from '@hush/core';
import type { ChatsSnapshot } from '../client/chats';
import { ChatList } from './ChatList';

const message = (fields: Partial<StoredMessage>): StoredMessage => ({
  id: 'm1',
  account: 'alice@example.org',
  peer: 'bob@example.org',
  direction: 'in',
  body: 'Hi',
  timestamp: Date.now(),
  state: 'received',
  encrypted: false,
  ...fields,
});

const chats: ChatsSnapshot = {
  loaded: true,
  requests: ['dave@example.org'],
  blocked: [],
  typing: [],
  items: [
    {
      peer: 'bob@example.org',
      lastMessage: message({ body: 'See you at eight' }),
      unread: 2,
      available: true,
      awaitingApproval: false,
    },
    {
      peer: 'carol@example.org',
      lastMessage: message({
        id: 'm2',
        peer: 'carol@example.org',
        direction: 'out',
        body: 'On my way',
        state: 'delivered',
      }),
      unread: 0,
      available: false,
      awaitingApproval: false,
    },
    {
      peer: 'erin@example.org',
      lastMessage: message({
        id: 'm3',
        peer: 'erin@example.org',
        state: 'undecryptable',
        body: '',
      }),
      unread: 1,
      available: false,
      awaitingApproval: false,
    },
  ],
};

function itemAt(index: number) {
  const item = chats.items[index];
  if (!item) throw new Error(`no item ${index}`);
  return item;
}

async function renderList(overrides: Partial<Parameters<typeof ChatList>[0]> = {}) {
  const handlers = {
    onOpen: jest.fn(),
    onAdd: jest.fn(),
    onSettings: jest.fn(),
    onApprove: jest.fn(),
    onDeny: jest.fn(),
  };
  await render(
    <ChatList jid="alice@example.org" phase="online" chats={chats} {...handlers} {...overrides} />,
  );
  return handlers;
}

describe('ChatList', () => {
  it('shows each conversation with its last message, state and unread count', async () => {
    await renderList();
    expect(screen.getByTestId('preview-bob@example.org')).toHaveTextContent('See you at eight');
    expect(screen.getByTestId('unread-bob@example.org')).toHaveTextContent('2');
    expect(screen.getByTestId('preview-carol@example.org')).toHaveTextContent(/On my way/);
    expect(screen.getByLabelText('Delivered')).toBeTruthy();
    expect(screen.queryByTestId('unread-carol@example.org')).toBeNull();
    expect(screen.getByTestId('preview-erin@example.org')).toHaveTextContent(
      'Message could not be decrypted',
    );
    expect(screen.getByText('alice@example.org · Online')).toBeTruthy();
  });

  it('shows who is typing in place of their last message', async () => {
    await renderList({ chats: { ...chats, typing: ['bob@example.org'] } });
    expect(screen.getByTestId('typing-bob@example.org')).toHaveTextContent('typing…');
    expect(screen.queryByTestId('preview-bob@example.org')).toBeNull();
    expect(screen.getByTestId('preview-carol@example.org')).toHaveTextContent(/On my way/);
  });

  it('opens a conversation and answers contact requests', async () => {
    const handlers = await renderList();
    await fireEvent.press(screen.getByTestId('chat-bob@example.org'));
    expect(handlers.onOpen).toHaveBeenCalledWith('bob@example.org');
    await fireEvent.press(screen.getByTestId('approve-dave@example.org'));
    expect(handlers.onApprove).toHaveBeenCalledWith('dave@example.org');
  });

  it('invites to add someone when there is nobody yet', async () => {
    const handlers = await renderList({
      chats: { loaded: true, items: [], requests: [], blocked: [], typing: [] },
      phase: 'offline',
    });
    expect(screen.getByText('No chats yet')).toBeTruthy();
    expect(screen.getByText('alice@example.org · Offline — reconnecting…')).toBeTruthy();
    await fireEvent.press(screen.getByText('Add a contact'));
    expect(handlers.onAdd).toHaveBeenCalled();
  });

  it('shows people by the name they gave themselves or were given, with its initial', async () => {
    const named: ChatsSnapshot = {
      ...chats,
      items: [{ ...itemAt(0), name: 'Bobby' }, ...chats.items.slice(1)],
    };
    await renderList({
      chats: named,
      nameOf: (jid) => ({ 'carol@example.org': 'Carol Danvers', 'dave@example.org': 'Dave' })[jid],
    });
    expect(screen.getByTestId('name-bob@example.org')).toHaveTextContent('Bobby');
    expect(screen.getByTestId('name-carol@example.org')).toHaveTextContent('Carol Danvers');
    // Nobody gave erin a name: the address's first part, not the whole address.
    expect(screen.getByTestId('name-erin@example.org')).toHaveTextContent('erin');
    expect(screen.queryByText('carol@example.org')).toBeNull();
    const initials = screen
      .getAllByTestId('avatar-initial', { includeHiddenElements: true })
      .map((node) => node.props.children);
    expect(initials).toEqual(expect.arrayContaining(['B', 'C', 'E', 'D']));
    // A request names the requester and shows the address the decision is about.
    expect(screen.getByText('Dave wants to add you as a contact.')).toBeTruthy();
    expect(screen.getByText('dave@example.org')).toBeTruthy();
  });

  it('labels files and voice messages instead of showing their links', async () => {
    const key = 'ab'.repeat(44);
    await renderList({
      chats: {
        ...chats,
        requests: [],
        items: [
          {
            ...itemAt(0),
            lastMessage: message({
              body: `aesgcm://upload.example.org/slot/1/encrypted#${key}`,
            }),
          },
          {
            ...itemAt(1),
            lastMessage: message({
              id: 'm2',
              peer: 'carol@example.org',
              body: 'https://upload.example.org/slot/2/voice.m4a',
            }),
          },
        ],
      },
    });
    expect(screen.getByTestId('preview-bob@example.org')).toHaveTextContent('File');
    expect(screen.getByTestId('preview-bob@example.org')).not.toHaveTextContent(/encrypted/);
    expect(screen.getByTestId('preview-carol@example.org')).toHaveTextContent('Voice message');
  });

  it("labels a file by the description kept with its message: its name, a photo, a voice message's length", async () => {
    const link = (n: number) =>
      `aesgcm://upload.example.org/slot/${n}/encrypted#${'ab'.repeat(44)}`;
    const file = (name: string, mediaType: string, durationMs?: number) => ({
      name,
      mediaType,
      size: 3,
      sha256: new Uint8Array(32),
      ...(durationMs !== undefined ? { durationMs } : {}),
    });
    await renderList({
      chats: {
        ...chats,
        requests: [],
        items: [
          {
            ...itemAt(0),
            lastMessage: message({ body: link(1), file: file('notes.txt', 'text/plain') }),
          },
          {
            ...itemAt(1),
            lastMessage: message({
              id: 'm2',
              peer: 'carol@example.org',
              direction: 'out',
              state: 'delivered',
              body: link(2),
              file: file('file', 'audio/webm; codecs=opus', 12_400),
            }),
          },
          {
            ...itemAt(2),
            lastMessage: message({
              id: 'm3',
              peer: 'erin@example.org',
              body: link(3),
              file: file('IMG_0001.jpg', 'image/jpeg'),
            }),
          },
        ],
      },
    });
    expect(screen.getByTestId('preview-bob@example.org')).toHaveTextContent('notes.txt');
    expect(screen.getByTestId('preview-carol@example.org')).toHaveTextContent(
      /Voice message 0:12$/,
    );
    expect(screen.getByTestId('preview-erin@example.org')).toHaveTextContent('Photo');
    expect(screen.getByTestId('preview-bob@example.org')).not.toHaveTextContent(/aesgcm|encrypted/);
  });

  describe('strangers who wrote first', () => {
    const stranger = {
      peer: 'spam@example.net',
      lastMessage: message({ id: 's1', peer: 'spam@example.net', body: 'Cheap watches' }),
      unread: 1,
      available: false,
      awaitingApproval: false,
    };
    const withStranger = (canReport: boolean): ChatsSnapshot => ({
      ...chats,
      strangers: [stranger],
      canReport,
    });
    const actions = () => ({
      onAddStranger: jest.fn(async () => undefined),
      onBlock: jest.fn(async () => undefined),
      onReport: jest.fn(async () => undefined),
    });

    it('shows them as a request with what they wrote, never among the chats', async () => {
      const handlers = await renderList({ chats: withStranger(false) });
      expect(screen.getByText('spam wrote to you. They are not in your contacts.')).toBeTruthy();
      expect(screen.getByText('spam@example.net')).toBeTruthy();
      expect(screen.getByTestId('request-preview-spam@example.net')).toHaveTextContent(
        'Cheap watches',
      );
      expect(screen.queryByTestId('chat-spam@example.net')).toBeNull();
      const open = screen.getByTestId('request-open-spam@example.net');
      expect(open.props.accessibilityHint).toBe('Read what spam wrote');
      await fireEvent.press(open);
      expect(handlers.onOpen).toHaveBeenCalledWith('spam@example.net');
    });

    it('adds or blocks them; without reports on the server there is no report button', async () => {
      const done = actions();
      await renderList({ chats: withStranger(false), ...done });
      expect(screen.queryByTestId('report-spam@example.net')).toBeNull();
      await fireEvent.press(screen.getByTestId('add-stranger-spam@example.net'));
      expect(done.onAddStranger).toHaveBeenCalledWith('spam@example.net');
      await fireEvent.press(screen.getByTestId('block-spam@example.net'));
      expect(done.onBlock).toHaveBeenCalledWith('spam@example.net');
      // A contact request can be blocked too.
      await fireEvent.press(screen.getByTestId('block-dave@example.org'));
      expect(done.onBlock).toHaveBeenCalledWith('dave@example.org');
    });

    it('reports them where the server takes reports, and says why it failed', async () => {
      const done = actions();
      done.onReport.mockRejectedValueOnce(
        Object.assign(new Error('The server did not answer.'), {
          name: 'HushError',
          code: 'Timeout',
        }),
      );
      await renderList({ chats: withStranger(true), ...done });
      await fireEvent.press(screen.getByTestId('report-spam@example.net'));
      expect(done.onReport).toHaveBeenCalledWith('spam@example.net');
      await waitFor(() => expect(screen.getByTestId('error-notice')).toBeTruthy());
    });
  });
});
