import { act, fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import { HushError } from '@hush/core';
import { i18n } from '../i18n';
import { BlockedCard, type BlockList } from './Blocked';
import { Settings } from './Settings';

/** A blocklist as the server keeps it: reads and unblocks answer from `addresses`. */
function serverList(addresses: string[]) {
  const unblocked: string[] = [];
  const list: BlockList & { unblocked: string[] } = {
    unblocked,
    read: jest.fn(() => Promise.resolve([...addresses])),
    unblock: jest.fn((jid: string) => {
      unblocked.push(jid);
      addresses.splice(addresses.indexOf(jid), 1);
      return Promise.resolve();
    }),
  };
  return list;
}

const names: Record<string, string> = { 'dave@example.org': 'Dave' };
const nameOf = (jid: string) => names[jid];
const refused = () => new HushError('NotAllowed', 'Could not unblock this address: not-allowed');
const offline = () => new HushError('ServerUnreachable', 'Not connected: waiting for the server.');

describe('the blocked list', () => {
  it('lists whom the account blocks, with their names where known, and unblocks one', async () => {
    const list = serverList(['spam@bad.example', 'dave@example.org']);
    await render(<BlockedCard list={list} online nameOf={nameOf} />);
    const dave = await screen.findByTestId('blocked-dave@example.org');
    expect(dave).toHaveTextContent(/Dave/);
    expect(dave).toHaveTextContent(/dave@example\.org/);
    expect(screen.getByTestId('blocked-spam@bad.example')).toHaveTextContent(/spam@bad\.example/);
    // Every Unblock says whom it unblocks.
    expect(screen.getByRole('button', { name: 'Unblock spam@bad.example' })).toBeTruthy();

    await fireEvent.press(screen.getByRole('button', { name: 'Unblock Dave' }));
    await waitFor(() => expect(screen.queryByTestId('blocked-dave@example.org')).toBeNull());
    expect(list.unblocked).toEqual(['dave@example.org']);
    expect(screen.getByTestId('blocked-spam@bad.example')).toBeTruthy();
    expect(screen.queryByTestId('error-notice')).toBeNull();
  });

  it('says when no one is blocked, also after the last one is unblocked', async () => {
    const view = await render(<BlockedCard list={serverList([])} online />);
    await screen.findByTestId('blocked-none');
    expect(screen.getByTestId('blocked-none')).toHaveTextContent('You have blocked no one.');
    await view.unmount();

    await render(<BlockedCard list={serverList(['spam@bad.example'])} online />);
    await fireEvent.press(await screen.findByTestId('unblock-spam@bad.example'));
    await screen.findByTestId('blocked-none');
  });

  it('shows a refused unblock and keeps the person on the list, to try again', async () => {
    const list = serverList(['spam@bad.example']);
    const unblock = list.unblock;
    list.unblock = jest.fn(() => Promise.reject(refused()));
    await render(<BlockedCard list={list} online />);
    await fireEvent.press(await screen.findByTestId('unblock-spam@bad.example'));
    await screen.findByTestId('error-NotAllowed');
    expect(screen.getByTestId('error-notice')).toHaveTextContent(/does not allow this/);
    expect(screen.getByTestId('blocked-spam@bad.example')).toBeTruthy();

    list.unblock = unblock;
    await fireEvent.press(screen.getByTestId('unblock-spam@bad.example'));
    await screen.findByTestId('blocked-none');
    expect(screen.queryByTestId('error-notice')).toBeNull();
  });

  it('offline, says the server cannot be reached, and reads the list once connected', async () => {
    const list = serverList(['spam@bad.example']);
    const read = list.read;
    // As the app's connection does: no connection to ask, a typed error thrown at once.
    list.read = jest.fn(() => {
      throw offline();
    });
    const view = await render(<BlockedCard list={list} online={false} />);
    await screen.findByTestId('error-ServerUnreachable');
    expect(screen.queryByTestId('blocked-none')).toBeNull();
    expect(screen.getByRole('button', { name: 'Read the blocked list again' })).toBeTruthy();

    list.read = read;
    await view.rerender(<BlockedCard list={list} online />);
    await screen.findByTestId('blocked-spam@bad.example');
    expect(screen.queryByTestId('error-notice')).toBeNull();
    expect(screen.queryByTestId('blocked-retry')).toBeNull();
  });

  it('keeps the list it read when a later read is refused; Retry reads again', async () => {
    const list = serverList(['spam@bad.example']);
    const read = list.read;
    const view = await render(<BlockedCard list={list} online={false} />);
    await screen.findByTestId('blocked-spam@bad.example');
    list.read = jest.fn(() => Promise.reject(refused()));
    // Reconnecting reads again; the server refuses this time.
    await view.rerender(<BlockedCard list={list} online />);
    await screen.findByTestId('error-NotAllowed');
    expect(screen.getByTestId('blocked-spam@bad.example')).toBeTruthy();

    list.read = read;
    await fireEvent.press(screen.getByTestId('blocked-retry'));
    await waitFor(() => expect(screen.queryByTestId('error-notice')).toBeNull());
    expect(screen.getByTestId('blocked-spam@bad.example')).toBeTruthy();
  });

  it('losing the connection keeps the list as read, without reading it again', async () => {
    const list = serverList(['spam@bad.example']);
    const view = await render(<BlockedCard list={list} online />);
    await screen.findByTestId('blocked-spam@bad.example');
    await view.rerender(<BlockedCard list={list} online={false} />);
    expect(list.read).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('blocked-spam@bad.example')).toBeTruthy();
  });

  it('speaks Russian', async () => {
    await act(() => i18n.changeLanguage('ru'));
    try {
      const view = await render(
        <BlockedCard list={serverList(['dave@example.org'])} online nameOf={nameOf} />,
      );
      await screen.findByRole('button', { name: 'Разблокировать Dave' });
      expect(screen.getByText('Заблокированные')).toBeTruthy();
      await view.unmount();
      await render(<BlockedCard list={serverList([])} online />);
      await screen.findByText('Вы никого не заблокировали.');
    } finally {
      await act(() => i18n.changeLanguage('en'));
    }
  });
});

describe('Settings', () => {
  it('shows the blocked list where one is given', async () => {
    await render(
      <Settings
        account={{ phase: 'online', jid: 'alice@chat.example.org', busy: false }}
        fingerprint={undefined}
        verificationUri={undefined}
        blocked={serverList(['dave@example.org'])}
        nameOf={nameOf}
        onBack={jest.fn()}
        onLogOut={jest.fn()}
        onDelete={jest.fn()}
      />,
    );
    await screen.findByRole('button', { name: 'Unblock Dave' });
    expect(screen.getByTestId('blocked')).toHaveTextContent(/Blocked/);
  });
});
