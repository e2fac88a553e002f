import { chatLink } from '../navigation/linking';
import { pushLinkSource } from './link-source';

function platform(launched: boolean) {
  let tapped: (() => void) | undefined;
  return {
    openedAtLaunch: () => Promise.resolve(launched),
    onOpened(listener: () => void) {
      tapped = listener;
      return () => (tapped = undefined);
    },
    tap: () => tapped?.(),
  };
}

test('a tap opens the chat the new messages are in, when that is one', async () => {
  const stand = platform(true);
  let unread: string | undefined = 'bob@chat.example';
  const source = pushLinkSource(stand, () => unread);
  expect(await source.initial()).toBe(chatLink('bob@chat.example'));
  const opened: string[] = [];
  const stop = source.subscribe((url) => opened.push(url));
  stand.tap();
  unread = undefined;
  stand.tap();
  expect(opened).toEqual([chatLink('bob@chat.example')]);
  stop();
});

test('a start that no notification caused opens no chat', async () => {
  expect(await pushLinkSource(platform(false), () => 'bob@chat.example').initial()).toBeUndefined();
});
