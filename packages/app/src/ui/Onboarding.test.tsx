import { fireEvent, render, screen } from '@testing-library/react-native';
import { HushError } from '@hush/core';
import { AccountController, type LogInInput } from '../client/account';
import { offlinePlatform } from '../platform/offline-platform';
import { ControllerContext } from './hooks';
import { Onboarding } from './Onboarding';

const platform = offlinePlatform();

/** A controller whose server always says the password is wrong. */
class WrongPasswordController extends AccountController {
  readonly attempts: LogInInput[] = [];

  override async logIn(input: LogInInput): Promise<void> {
    this.attempts.push(input);
    this.update({ error: new HushError('WrongPassword', 'Wrong address or password.') });
  }
}

async function renderOnboarding(controller: AccountController, initialInvite?: string) {
  await controller.start();
  return await render(
    <ControllerContext.Provider value={controller}>
      <Onboarding {...(initialInvite ? { initialInvite } : {})} />
    </ControllerContext.Provider>,
  );
}

describe('Onboarding', () => {
  it('shows the wrong-password error after a failed login', async () => {
    const controller = new WrongPasswordController(platform);
    await renderOnboarding(controller);
    await fireEvent.changeText(screen.getByTestId('jid-input'), 'alice@example.org');
    await fireEvent.changeText(screen.getByTestId('password-input'), 'nope nope');
    await fireEvent.press(screen.getByTestId('submit'));
    expect(await screen.findByTestId('error-WrongPassword')).toHaveTextContent(
      'Wrong address or password',
    );
    expect(controller.attempts).toEqual([{ jid: 'alice@example.org', password: 'nope nope' }]);
    await fireEvent.press(screen.getByText('Dismiss'));
    expect(screen.queryByTestId('error-notice')).toBeNull();
  });

  it('explains a link that is not an invite, before going to the network', async () => {
    await renderOnboarding(new AccountController(platform), 'https://example.org/');
    expect(screen.getByTestId('invite-input').props.value).toBe('https://example.org/');
    await fireEvent.changeText(screen.getByTestId('username-input'), 'alice');
    await fireEvent.changeText(screen.getByTestId('password-input'), 'long enough password');
    await fireEvent.press(screen.getByTestId('submit'));
    expect(await screen.findByTestId('error-InviteMalformed')).toHaveTextContent(
      'That is not an invite link',
    );
  });
});
