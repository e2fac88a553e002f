import { act, fireEvent, render, screen } from '@testing-library/react-native';
import { formatVerificationUri, HushError } from '@hush/core';
// The module jest puts in place of expo-camera (package.json moduleNameMapper): the same instance
// the scanner gets, so its permission and what it "sees" are set here.
import { camera, showCode } from '../../test/expo-camera';
import { followCode, type CodeActions } from '../client/scanned-code';
import { QrScan } from './QrScan';

const verification = formatVerificationUri({
  jid: 'alice@example.org',
  devices: [{ deviceId: 42, fingerprint: 'c0'.repeat(32) }],
});
const invite = 'xmpp:carol@example.org?roster;preauth=tok12345';

/** The account's side of following a code, recorded; `verify` may be replaced to fail. */
function account(verify: (uri: string) => Promise<void> = async () => undefined) {
  const calls: string[] = [];
  const actions: CodeActions = {
    account: 'bob@example.org',
    isContact: () => false,
    add: async (jid) => (calls.push(`add ${jid}`), jid),
    acceptInvite: async (uri) => (calls.push(`invite ${uri}`), 'carol@example.org'),
    verify: async (uri) => {
      calls.push(`verify ${uri}`);
      await verify(uri);
    },
  };
  return { calls, onCode: (text: string) => followCode(text, actions) };
}

async function scanScreen(onCode: (text: string) => Promise<unknown>) {
  return await render(
    <QrScan title="Scan a QR code" note="Point the camera." onBack={jest.fn()} onCode={onCode} />,
  );
}

/** The camera sees `text`; its handling runs to the end. */
async function see(text: string): Promise<boolean> {
  let seen = false;
  await act(async () => {
    seen = showCode(text);
  });
  return seen;
}

describe('QrScan', () => {
  afterEach(() => {
    Object.assign(camera, { granted: true, canAskAgain: true, requests: 0 });
  });

  it('routes a verification code to verify-then-add and a contact invite to the invite', async () => {
    const { calls, onCode } = account();
    await scanScreen(onCode);
    expect(screen.getByTestId('qr-camera')).toBeTruthy();
    await see(verification);
    await see(invite);
    expect(calls).toEqual([`verify ${verification}`, 'add alice@example.org', `invite ${invite}`]);
  });

  it('follows a code the camera keeps seeing once, while it is being handled', async () => {
    let finish: () => void = () => undefined;
    const onCode = jest.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    await scanScreen(onCode);
    await see(verification);
    expect(screen.getByTestId('qr-busy')).toBeTruthy();
    // Paused: the camera view has no barcode handler while the first one is handled.
    expect(await see(verification)).toBe(false);
    await act(async () => finish());
    expect(onCode).toHaveBeenCalledTimes(1);
    expect(await see(verification)).toBe(true);
  });

  it("shows core's typed error for a key that differs, adds nobody, and waits for Dismiss", async () => {
    const { calls, onCode } = account(async () => {
      throw new HushError(
        'UntrustedIdentity',
        'Device 42 of alice@example.org has a different key.',
      );
    });
    await scanScreen(onCode);
    await see(verification);
    expect(screen.getByTestId('error-UntrustedIdentity')).toHaveTextContent(
      'Your contact’s keys changed: check them first',
    );
    expect(screen.getByText(/has a different key/)).toBeTruthy();
    expect(calls).toEqual([`verify ${verification}`]);
    // The wrong code still in view does not fail again on every frame.
    expect(await see(verification)).toBe(false);
    await fireEvent.press(screen.getByText('Dismiss'));
    expect(await see(verification)).toBe(true);
  });

  it('says the camera is off when refused, and the pasted link still works', async () => {
    Object.assign(camera, { granted: false, canAskAgain: false });
    const { calls, onCode } = account();
    await scanScreen(onCode);
    expect(screen.getByTestId('camera-refused')).toHaveTextContent(/Camera access is off/);
    expect(screen.getByText('Open Settings')).toBeTruthy();
    expect(screen.queryByTestId('qr-camera')).toBeNull();
    expect(camera.requests).toBe(0);
    await fireEvent.changeText(screen.getByTestId('qr-paste-input'), ` ${invite} `);
    await fireEvent.press(screen.getByTestId('qr-paste-submit'));
    expect(calls).toEqual([`invite ${invite}`]);
  });

  it('asks for the camera when it may, and opens it once allowed', async () => {
    Object.assign(camera, { granted: false, canAskAgain: true });
    await scanScreen(jest.fn(async () => undefined));
    expect(camera.requests).toBe(1);
    expect(screen.getByTestId('camera-ask')).toBeTruthy();
    camera.granted = true;
    await fireEvent.press(screen.getByTestId('camera-allow'));
    expect(await screen.findByTestId('qr-camera')).toBeTruthy();
  });
});
