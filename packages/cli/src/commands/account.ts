// register, login, account password and account delete.
import {
  bareJid,
  changePassword,
  deleteAccount,
  HushError,
  keepSavedLogin,
  openSession,
  parseInvite,
  registerAccount,
  splitJid,
} from '@hush/core';
import { newResource } from '../profile.ts';
import type { CommandContext } from './context.ts';

const defaultService = (ctx: CommandContext, domain: string) =>
  ctx.options.service ?? `wss://${domain}/xmpp-websocket`;

async function newPassword(ctx: CommandContext): Promise<string> {
  const password = await ctx.readPassword();
  if (password.length < 8)
    throw new HushError('InvalidPassword', 'Choose a password of at least 8 characters.');
  return password;
}

export async function register(args: string[], ctx: CommandContext): Promise<number> {
  const [invite = '', username = ''] = args;
  const { domain } = parseInvite(invite);
  const password = await newPassword(ctx);
  const service = defaultService(ctx, domain);
  const session = await registerAccount({ service, invite, username, password });
  const state = await ctx.profile();
  const jid = `${username}@${domain}`;
  // The profile keeps what logs in again (keys, token), never the password.
  await state.storage.accounts.put({ jid, service, resource: newResource() });
  await keepSavedLogin(state.logins, jid, session);
  await session.close();
  // This device's OMEMO keys are made and published now, so people can write to it at once.
  if (!ctx.options.plain) await (await ctx.connect()).close();
  ctx.io.stdout(`Account ${username}@${domain} created.`);
  return 0;
}

export async function login(args: string[], ctx: CommandContext): Promise<number> {
  const jid = bareJid(args[0] ?? '');
  const { domain } = splitJid(jid);
  const password = await ctx.readPassword();
  const service = defaultService(ctx, domain);
  const session = await openSession({ service, jid, password });
  const state = await ctx.profile();
  const known = await state.storage.accounts.get(jid);
  // Logging in again keeps this device's resource: it is the same device. The profile keeps what
  // logs in again (keys, token), and a password an older version kept is erased.
  await state.storage.accounts.put({
    jid,
    service,
    resource: known?.resource ?? newResource(),
    ...(known?.mamLastStanzaId !== undefined && { mamLastStanzaId: known.mamLastStanzaId }),
  });
  await keepSavedLogin(state.logins, jid, session);
  await session.close();
  if (!ctx.options.plain) await (await ctx.connect()).close();
  ctx.io.stdout(`Logged in as ${session.jid}.`);
  return 0;
}

export async function account(args: string[], ctx: CommandContext): Promise<number> {
  const [action] = args;
  if (action !== 'password' && action !== 'delete') return -1;
  const state = await ctx.profile();
  const stored = await state.account();
  // The new password is read before connecting, so a short one costs no login.
  const password = action === 'password' ? await newPassword(ctx) : '';
  const client = await ctx.connect({ plain: ctx.options.plain === true });
  const { session, messenger } = client;
  try {
    if (action === 'password') {
      // The session renews its saved login for the new password; the profile keeps that.
      await changePassword(session, password);
      await state.logins.save(stored.jid, session.savedLogin);
      ctx.io.stdout('Password changed.');
      return 0;
    }
    await messenger.close();
    await deleteAccount(session);
    await state.storage.accounts.remove(stored.jid);
    ctx.io.stdout(`Account ${stored.jid} deleted from the server.`);
    return 0;
  } finally {
    await client.close();
  }
}
