import { fireEvent, render, screen, waitFor } from '@testing-library/react-native';
import type { OmemoDeviceInfo } from '@hush/core';
import { Settings } from './Settings';

const account = { phase: 'online', jid: 'alice@chat.example.org', busy: false } as const;
const laptop: OmemoDeviceInfo = {
  jid: 'alice@chat.example.org',
  deviceId: 4242,
  fingerprint: 'ab'.repeat(32),
  trust: 'blind',
  active: true,
  stale: false,
  current: false,
  lastSeen: 0,
};

function show(devices: readonly OmemoDeviceInfo[] | undefined, onTrust = jest.fn()) {
  return render(
    <Settings
      account={account}
      fingerprint={'cd'.repeat(32)}
      verificationUri={undefined}
      devices={devices}
      onTrust={onTrust}
      onBack={jest.fn()}
      onLogOut={jest.fn()}
      onDelete={jest.fn()}
    />,
  );
}

describe('Settings: this account’s other devices', () => {
  it('lists them with fingerprint and trust, and passes a decision on', async () => {
    const onTrust = jest.fn(() => Promise.resolve());
    await show([laptop], onTrust);
    const card = screen.getByTestId('own-devices');
    expect(card).toHaveTextContent(/abababab abababab/);
    expect(card).toHaveTextContent(/Device 4242 · Trusted on first use, not verified/);
    await fireEvent.press(screen.getByText('Refuse'));
    await waitFor(() => expect(onTrust).toHaveBeenCalledWith('ab'.repeat(32), 'distrust'));
  });

  it('says when this is the only device, and shows a failed decision', async () => {
    await show([]);
    expect(screen.getByTestId('own-devices')).toHaveTextContent(/None: this is the only device/);
    const failing = jest.fn(() => Promise.reject(new Error('The server did not answer')));
    await show([{ ...laptop, trust: 'distrusted' }], failing);
    await fireEvent.press(screen.getByText('Trust'));
    await screen.findByTestId('error-notice');
    expect(screen.getByTestId('error-notice')).toHaveTextContent(/The server did not answer/);
  });
});

describe('Settings: notifications', () => {
  it('asks for notifications when they are not decided, and shows the answer', async () => {
    const request = jest.fn(() => Promise.resolve('granted' as const));
    await render(
      <Settings
        account={account}
        fingerprint={undefined}
        verificationUri={undefined}
        notifications={{ access: () => 'default', request, show: jest.fn() }}
        onBack={jest.fn()}
        onLogOut={jest.fn()}
        onDelete={jest.fn()}
      />,
    );
    expect(screen.getByTestId('notifications-default')).toBeTruthy();
    await fireEvent.press(screen.getByTestId('enable-notifications'));
    await screen.findByTestId('notifications-granted');
    expect(request).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId('enable-notifications')).toBeNull();
  });

  it('says where they are blocked or not available, with nothing to press', async () => {
    for (const access of ['denied', 'unsupported'] as const) {
      const view = await render(
        <Settings
          account={account}
          fingerprint={undefined}
          verificationUri={undefined}
          notifications={{ access: () => access, request: jest.fn(), show: jest.fn() }}
          onBack={jest.fn()}
          onLogOut={jest.fn()}
          onDelete={jest.fn()}
        />,
      );
      expect(screen.getByTestId(`notifications-${access}`)).toBeTruthy();
      expect(screen.queryByTestId('enable-notifications')).toBeNull();
      await view.unmount();
    }
  });
});
