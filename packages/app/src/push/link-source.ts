// A tapped "New message" notification as a source of links for navigation. The wake-up names no
// chat (the push service learns nothing of who wrote), so the app decides: the conversation the
// new messages are in when that is one (`chatToOpen`), else the chat list (no link).
import { chatLink, type LinkSource } from '../navigation/linking';
import type { PushPlatform } from './types';

export function pushLinkSource(
  platform: Pick<PushPlatform, 'openedAtLaunch' | 'onOpened'>,
  chatToOpen: () => string | undefined,
): LinkSource {
  const link = () => {
    const jid = chatToOpen();
    return jid === undefined ? undefined : chatLink(jid);
  };
  return {
    async initial() {
      return (await platform.openedAtLaunch()) ? link() : undefined;
    },
    subscribe(listener) {
      return platform.onOpened(() => {
        const url = link();
        if (url !== undefined) listener(url);
      });
    },
  };
}
