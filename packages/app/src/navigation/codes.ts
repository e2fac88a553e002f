// A pasted, scanned or opened code (client/scanned-code.ts) followed with this account's connection,
// and the screen it leads to: the chat with someone added, the details of someone whose device was
// verified, the settings after verifying one of this account's own devices.
import { HushError } from '@hush/core';
import type { AccountController } from '../client/account';
import { followCode, type FollowedCode } from '../client/scanned-code';
import { i18n } from '../i18n';
import { openChat, openContact, openFromList, type Navigator } from './open';

/** Follows `text`; with `expected`, only a verification code of that contact is taken. */
export async function followWith(
  controller: AccountController,
  text: string,
  expected?: string,
): Promise<FollowedCode & { readonly own: boolean }> {
  const { contacts, omemo } = controller.requireConnection();
  const result = await followCode(
    text,
    {
      account: contacts.account,
      isContact: (jid) => contacts.get(jid) !== undefined,
      add: async (jid) => (await contacts.add(jid)).jid,
      acceptInvite: async (uri) => (await contacts.acceptInviteLink(uri)).jid,
      verify: async (uri) => {
        if (!omemo) throw new HushError('NoOmemoDevice', i18n.t('app.noEncryption'));
        await omemo.verifyUri(uri);
      },
    },
    expected,
  );
  await controller.chats?.refresh();
  return { ...result, own: result.jid === contacts.account };
}

/** Follows `text` and opens what it led to; resolves with the address it named. */
export async function followAndOpen(
  controller: AccountController,
  navigation: Navigator,
  text: string,
  expected?: string,
): Promise<string> {
  const result = await followWith(controller, text, expected);
  if (!result.verified) openChat(navigation, result.jid);
  else if (result.own) openFromList(navigation, 'Settings');
  else openContact(navigation, result.jid);
  return result.jid;
}
