// fingerprints, devices, trust, distrust and verify.
import { bareJid, formatFingerprint, type OmemoDeviceInfo } from '@hush/core';
import { deviceLine } from '../format.ts';
import type { CommandContext } from './context.ts';

const SHAPES: Record<string, number[]> = {
  fingerprints: [0, 1],
  devices: [0],
  trust: [2],
  distrust: [2],
  verify: [1, 2],
};

export const TRUST_COMMANDS = new Set(Object.keys(SHAPES));

export async function trustCommand(
  command: string,
  args: string[],
  ctx: CommandContext,
): Promise<number> {
  if (!SHAPES[command]?.includes(args.length)) return -1;
  const client = await ctx.connect();
  const omemo = client.omemo;
  const print = (devices: OmemoDeviceInfo[]) => {
    for (const device of devices)
      ctx.io.stdout(
        ctx.options.json ? JSON.stringify({ type: 'device', ...device }) : deviceLine(device),
      );
  };
  try {
    if (!omemo) return -1;
    const [first = '', second = ''] = args;
    switch (command) {
      case 'fingerprints':
        if (args.length === 0) {
          const fingerprint = await omemo.fingerprint();
          const uri = await omemo.verificationUri();
          if (ctx.options.json)
            ctx.io.stdout(
              JSON.stringify({ type: 'fingerprint', deviceId: omemo.deviceId, fingerprint, uri }),
            );
          else ctx.io.stdout(`${omemo.deviceId} ${formatFingerprint(fingerprint)}\n${uri}`);
        } else print(await omemo.devices(bareJid(first)));
        return 0;
      case 'devices':
        print(await omemo.devices());
        return 0;
      case 'trust':
        print([await omemo.trust(first, second)]);
        return 0;
      case 'distrust':
        print([await omemo.distrust(first, second)]);
        return 0;
      default:
        print(
          args.length === 1 ? await omemo.verifyUri(first) : [await omemo.verify(first, second)],
        );
        return 0;
    }
  } finally {
    await client.close();
  }
}
