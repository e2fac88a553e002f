// The app in Russian: screens render their words from the Russian resources, with plurals in the
// forms Russian has (1 сообщение, 2 сообщения, 5 сообщений) and dates in Russian.
import { render, screen } from '@testing-library/react-native';
import { FileTooLargeError, HushError, VoiceTooLongError, type StoredMessage } from '@hush/core';
import type { ChatsSnapshot } from '../client/chats';
import { formatTime, i18n } from '../i18n';
import { ChatList } from './ChatList';
import { AddContact } from './AddContact';
import { MessageBubble } from './MessageBubble';
import { ErrorNotice } from './components';

const message = (fields: Partial<StoredMessage>): StoredMessage => ({
  id: 'm1',
  account: 'alice@example.org',
  peer: 'bob@example.org',
  direction: 'in',
  body: 'Привет',
  timestamp: Date.now(),
  state: 'received',
  encrypted: true,
  ...fields,
});

const item = (peer: string, unread: number, body = 'Привет') => ({
  peer,
  lastMessage: message({ id: peer, peer, body }),
  unread,
  available: false,
  awaitingApproval: false,
});

beforeAll(async () => {
  await i18n.changeLanguage('ru');
});
afterAll(async () => {
  await i18n.changeLanguage('en');
});

describe('in Russian', () => {
  it('the chat list speaks Russian, counts in Russian plurals and labels files', async () => {
    const chats: ChatsSnapshot = {
      loaded: true,
      requests: ['dave@example.org'],
      blocked: [],
      typing: [],
      items: [
        item('bob@example.org', 1),
        item('carol@example.org', 3),
        item('erin@example.org', 5, 'https://upload.example.org/x/voice.m4a'),
        item('frank@example.org', 21),
      ],
    };
    await render(
      <ChatList
        jid="alice@example.org"
        phase="online"
        chats={chats}
        nameOf={(jid) => (jid === 'dave@example.org' ? 'Дейв' : undefined)}
        onOpen={jest.fn()}
        onAdd={jest.fn()}
        onSettings={jest.fn()}
        onApprove={jest.fn()}
        onDeny={jest.fn()}
      />,
    );
    expect(screen.getByText('Чаты')).toBeTruthy();
    expect(screen.getByText('alice@example.org · В сети')).toBeTruthy();
    expect(screen.getByText('Дейв хочет добавить вас в контакты.')).toBeTruthy();
    expect(screen.getByText('Принять')).toBeTruthy();
    expect(screen.getByLabelText('1 непрочитанное сообщение')).toBeTruthy();
    expect(screen.getByLabelText('3 непрочитанных сообщения')).toBeTruthy();
    expect(screen.getByLabelText('5 непрочитанных сообщений')).toBeTruthy();
    expect(screen.getByLabelText('21 непрочитанное сообщение')).toBeTruthy();
    expect(screen.getByTestId('preview-erin@example.org')).toHaveTextContent('Голосовое сообщение');
    expect(screen.queryByText(/Chats|Accept|unread/)).toBeNull();
  });

  it('a form, a message and a date are in Russian', async () => {
    await render(<AddContact onBack={jest.fn()} onAdd={jest.fn()} onScan={jest.fn()} />);
    expect(screen.getByText('Добавить контакт')).toBeTruthy();
    expect(screen.getByLabelText('Адрес или ссылка-приглашение')).toBeTruthy();
    expect(screen.getByText('Сканировать QR-код')).toBeTruthy();

    await render(
      <MessageBubble
        message={message({ direction: 'out', body: 'Hi', state: 'failed' })}
        onRetry={jest.fn()}
      />,
    );
    expect(screen.getByText('Не отправлено')).toBeTruthy();
    expect(screen.getByText('Повторить')).toBeTruthy();
    expect(screen.getByLabelText('Вы: Hi, Не отправлено')).toBeTruthy();
    // Why, in Russian: the error's title, not core's English detail.
    await render(
      <MessageBubble
        message={message({
          id: 'm2',
          direction: 'out',
          body: 'Hi',
          state: 'failed',
          failure: {
            code: 'NoOmemoDevice',
            message: 'dave@localhost has no OMEMO device: the message cannot be sent encrypted.',
          },
        })}
      />,
    );
    expect(screen.getByText(`Не отправлено: ${i18n.t('error.NoOmemoDevice')}`)).toBeTruthy();
    expect(screen.queryByText(/has no OMEMO device/)).toBeNull();
    // An error notice: the Russian title alone, without core's English sentence under it.
    await render(
      <ErrorNotice error={new HushError('LinkExpired', 'The file is no longer on the server.')} />,
    );
    expect(screen.getByText(i18n.t('error.LinkExpired'))).toBeTruthy();
    expect(screen.queryByText('The file is no longer on the server.')).toBeNull();

    // A refusal's facts in Russian words and number format, in place of core's English sentence.
    await render(
      <ErrorNotice
        error={
          new FileTooLargeError('The file is larger than the server accepts (10 MB).', {
            limit: 10 * 1024 * 1024,
            size: 12_000_000,
          })
        }
      />,
    );
    expect(screen.getByText('Файл слишком большой')).toBeTruthy();
    expect(screen.getByText('Размер файла — 11,4 МБ; можно не больше 10 МБ')).toBeTruthy();
    await render(
      <ErrorNotice
        error={new VoiceTooLongError('Too long.', { limitMs: 300_000, durationMs: 361_000 })}
      />,
    );
    expect(screen.getByText('Запись длится 6:01; можно не больше 5:00')).toBeTruthy();

    // Another day: the day and the month's Russian abbreviation (e.g. "5 дек."), the year when not
    // this one.
    const now = new Date(2026, 11, 7, 12).getTime();
    expect(formatTime(new Date(2026, 11, 5, 9, 30).getTime(), now)).toMatch(/^5 дек/);
    expect(formatTime(new Date(2025, 2, 1).getTime(), now)).toMatch(/^1 мар.* 2025/);
    expect(formatTime(new Date(2026, 11, 7, 9, 5).getTime(), now)).toBe('9:05');
    // A voice message's length for screen readers, with the decimal comma.
    expect(i18n.t('file.voiceLabel', { count: 2.5 })).toBe('Голосовое сообщение, 2,5 секунды');
    expect(i18n.t('file.voiceLabel', { count: 5 })).toBe('Голосовое сообщение, 5 секунд');
    expect(i18n.t('file.voiceLabel', { count: 1 })).toBe('Голосовое сообщение, 1 секунда');
  });
});
