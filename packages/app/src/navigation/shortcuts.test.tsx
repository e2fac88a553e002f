// Esc closes what is on top, from anywhere on the page, but not while an input method composes.
import { render } from '@testing-library/react-native';
import { useEscapeKey, type KeyTarget } from './shortcuts';

function Closer(props: { onEscape: () => boolean; target: KeyTarget }) {
  useEscapeKey(props.onEscape, props.target);
  return null;
}

/** Node's EventTarget, listened to as the page's document is. */
const asPage = (target: EventTarget) => target as unknown as KeyTarget;

function press(target: EventTarget, key: string, extra: object = {}): Event {
  const event = Object.assign(new Event('keydown', { cancelable: true }), { key, ...extra });
  target.dispatchEvent(event);
  return event;
}

describe('useEscapeKey', () => {
  it('calls the handler on Esc, and takes the key only when something was closed', async () => {
    const page = new EventTarget();
    const onEscape = jest.fn().mockReturnValueOnce(true).mockReturnValueOnce(false);
    await render(<Closer onEscape={onEscape} target={asPage(page)} />);
    expect(press(page, 'Escape').defaultPrevented).toBe(true);
    expect(press(page, 'Escape').defaultPrevented).toBe(false);
    expect(onEscape).toHaveBeenCalledTimes(2);
  });

  it('leaves other keys, Esc with a modifier, and Esc that ends a composition', async () => {
    const page = new EventTarget();
    const onEscape = jest.fn(() => true);
    await render(<Closer onEscape={onEscape} target={asPage(page)} />);
    press(page, 'Enter');
    press(page, 'Escape', { shiftKey: true });
    press(page, 'Escape', { isComposing: true });
    expect(onEscape).not.toHaveBeenCalled();
  });

  it('stops listening when the app goes away', async () => {
    const page = new EventTarget();
    const onEscape = jest.fn(() => true);
    const view = await render(<Closer onEscape={onEscape} target={asPage(page)} />);
    await view.unmount();
    press(page, 'Escape');
    expect(onEscape).not.toHaveBeenCalled();
  });
});
