// contacts list|add|remove|block|unblock.
import { bareJid } from '@hush/core';
import type { CommandContext } from './context.ts';

export async function contacts(args: string[], ctx: CommandContext): Promise<number> {
  const [action = '', target = '', name] = args;
  if (!['list', 'add', 'remove', 'block', 'unblock'].includes(action)) return -1;
  if ((action === 'list') !== (args.length === 1) || args.length > (action === 'add' ? 3 : 2))
    return -1;
  const client = await ctx.connect({ plain: ctx.options.plain === true });
  const { contacts: roster } = client;
  const print = ctx.io.stdout;
  try {
    switch (action) {
      case 'list': {
        const blocked = new Set(await roster.blocked());
        for (const contact of await roster.list()) {
          const online = roster.available(contact.jid) ? 'online' : 'offline';
          if (ctx.options.json)
            print(
              JSON.stringify({
                ...contact,
                online: online === 'online',
                blocked: blocked.has(contact.jid),
              }),
            );
          else
            print(
              `${contact.jid}${contact.name ? ` (${contact.name})` : ''} ${contact.subscription} ${online}${blocked.has(contact.jid) ? ' blocked' : ''}`,
            );
        }
        return 0;
      }
      case 'add': {
        const contact = target.startsWith('xmpp:')
          ? await roster.acceptInviteLink(target)
          : await roster.add(target, name);
        print(`Added ${contact.jid}.`);
        return 0;
      }
      case 'remove':
        await roster.remove(target);
        print(`Removed ${bareJid(target)}.`);
        return 0;
      case 'block':
        await roster.block(target);
        print(`Blocked ${bareJid(target)}.`);
        return 0;
      default:
        await roster.unblock(target);
        print(`Unblocked ${bareJid(target)}.`);
        return 0;
    }
  } finally {
    await client.close();
  }
}
