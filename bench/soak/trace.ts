// Where a lost message got lost. A device's raw stanzas show whether the server routed a message to
// it (live, as a carbon or from the archive) and whether the sender encrypted it for that device;
// the account's archive, read at the end over a session of its own, shows whether the server kept
// it. Messages are matched by their XEP-0359 origin-id, which the senders' storage maps to numbers.
import type { Element } from '@xmpp/xml';
import { fetchArchivePage, openSession } from '@hush/core';
import { soakBody, type SenderCounts } from './analysis.ts';

const NS_SID = 'urn:xmpp:sid:0';
const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_MAM = 'urn:xmpp:mam:2';
const NS_OMEMO = 'eu.siacs.conversations.axolotl';

export type Route = 'live' | 'carbon' | 'archive';

/** The chat message inside a stanza as it arrives: itself, a carbon or an archive result. */
export function unwrap(stanza: Element): { message: Element; route: Route } | undefined {
  if (!stanza.is('message')) return undefined;
  const forwarded = (parent: Element | undefined) =>
    parent?.getChild('forwarded', NS_FORWARD)?.getChild('message');
  const result = forwarded(stanza.getChild('result', NS_MAM));
  if (result) return { message: result, route: 'archive' };
  const carbon = forwarded(stanza.getChild('received', NS_CARBONS));
  if (carbon) return { message: carbon, route: 'carbon' };
  if (stanza.getChild('sent', NS_CARBONS)) return undefined;
  return { message: stanza, route: 'live' };
}

export function originId(message: Element): string | undefined {
  return message.getChild('origin-id', NS_SID)?.attrs.id;
}

/** Whether an OMEMO message carries a key for `deviceId`. */
export function encryptedFor(message: Element, deviceId: number): boolean {
  const header = message.getChild('encrypted', NS_OMEMO)?.getChild('header');
  return (header?.getChildren('key') ?? []).some((key) => key.attrs.rid === String(deviceId));
}

/** What one device saw of each message, by origin-id: the routes it came by, and its key. */
export interface RawSighting {
  readonly routes: Set<Route>;
  forDevice: boolean;
  /** performance.now() when it first reached the stream. */
  readonly firstAt: number;
}

export function recordSighting(
  sightings: Map<string, RawSighting>,
  stanza: Element,
  deviceId: number | undefined,
): void {
  const found = unwrap(stanza);
  const id = found && originId(found.message);
  if (!found || !id) return;
  const sighting = sightings.get(id) ?? {
    routes: new Set<Route>(),
    forDevice: false,
    firstAt: performance.now(),
  };
  sighting.routes.add(found.route);
  if (deviceId !== undefined && encryptedFor(found.message, deviceId)) sighting.forDevice = true;
  sightings.set(id, sighting);
}

/** The origin-ids of every message in `jid`'s archive, with how many times each is there. */
export async function archivedOriginIds(
  service: string,
  jid: string,
  password: string,
): Promise<Map<string, number>> {
  const session = await openSession({ service, jid, password, resource: 'soak-audit' });
  const ids = new Map<string, number>();
  try {
    let after: string | undefined;
    for (;;) {
      const page = await fetchArchivePage(session, after === undefined ? {} : { after });
      for (const stanza of page.messages) {
        const found = unwrap(stanza);
        const id = found && originId(found.message);
        if (id) ids.set(id, (ids.get(id) ?? 0) + 1);
      }
      if (page.complete || page.last === undefined) return ids;
      after = page.last;
    }
  } finally {
    await session.close();
  }
}

export interface LostOnDevice {
  readonly name: string;
  readonly lost: readonly { readonly sender: number; readonly seq: number }[];
  /** The device's raw stream, where it runs in this process. */
  readonly sightings?: ReadonlyMap<string, RawSighting>;
  /** What each of its processes printed, where it runs as a child process (the CLI). */
  readonly printedByRun?: readonly (readonly string[])[];
}

/** One line on where a device's lost messages went; `idOf` gives a message's origin-id. */
export function describeLoss(
  device: LostOnDevice,
  archived: ReadonlyMap<string, number>,
  idOf: (message: { sender: number; seq: number }) => string,
): string {
  const { lost } = device;
  const count = (keys: string[]) => {
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    return [...counts].map(([key, n]) => `${n} ${key}`).join(', ');
  };
  const inArchive = lost.filter((m) => archived.has(idOf(m))).length;
  let line = `${device.name}: of ${lost.length} lost, ${inArchive} are in the account's archive`;
  const sightings = device.sightings;
  if (sightings) {
    const seen = lost.map((m) => sightings.get(idOf(m)));
    line += `; on its stream: ${count(seen.map((s) => (s ? [...s.routes].sort().join('+') : 'never reached the device')))}`;
    const keyless = seen.filter((s) => s && !s.forDevice).length;
    if (keyless) line += `; ${keyless} carried no key for this device`;
  }
  if (device.printedByRun) {
    const byRun = device.printedByRun.map((bodies) => new Set(bodies));
    const printed = lost.map(({ sender, seq }) => {
      const runs = byRun.flatMap((bodies, run) =>
        bodies.has(soakBody(sender, seq)) ? [run + 1] : [],
      );
      return runs.length ? `printed by run ${runs.join(' and ')}` : 'never printed';
    });
    line += `; ${count(printed)} (of ${byRun.length} runs)`;
  }
  return line;
}

/** A receiving device as the loss trace reads it (bench/soak/receivers.ts Receiver). */
export interface TracedDevice {
  readonly sightings?: ReadonlyMap<string, RawSighting>;
  readonly printedByRun?: readonly (readonly string[])[];
}

/**
 * Where each device's lost messages went: one line per device that lost any (none when nothing was
 * lost, and then the archive is not read). `archive` reads the account's archive; each sender gives
 * its messages' numbers by origin-id.
 */
export async function traceLosses(
  devices: readonly {
    readonly device: TracedDevice;
    readonly counts: { readonly name: string; readonly perSender: readonly SenderCounts[] };
  }[],
  archive: () => Promise<ReadonlyMap<string, number>>,
  senders: readonly { seqsByOriginId(peer: string): Promise<Map<string, number>> }[],
  peer: string,
): Promise<string[]> {
  const losing = devices.filter(({ counts }) => counts.perSender.some((s) => s.missing.length));
  if (losing.length === 0) return [];
  const archived = await archive();
  const ids = new Map<string, string>();
  (await Promise.all(senders.map((sender) => sender.seqsByOriginId(peer)))).forEach(
    (bySeq, sender) => {
      for (const [id, seq] of bySeq) ids.set(`${sender} ${seq}`, id);
    },
  );
  const idOf = ({ sender, seq }: { sender: number; seq: number }) =>
    ids.get(`${sender} ${seq}`) ?? '';
  return losing.map(({ device, counts }) =>
    describeLoss(
      {
        name: counts.name,
        lost: counts.perSender.flatMap((s, sender) => s.missing.map((seq) => ({ sender, seq }))),
        ...(device.sightings ? { sightings: device.sightings } : {}),
        ...(device.printedByRun ? { printedByRun: device.printedByRun } : {}),
      },
      archived,
      idOf,
    ),
  );
}

/**
 * The first messages each device is missing or holds out of order (three of each, per sender),
 * one line each: when it was written, when and how it first reached each device (seconds from
 * `since`, a performance.now() value), and how many times the archive holds it.
 */
export async function traceMessages(
  devices: readonly (TracedDevice & { readonly name: string })[],
  counts: readonly { readonly name: string; readonly perSender: readonly SenderCounts[] }[],
  senders: readonly {
    readonly writtenAt: readonly number[];
    seqsByOriginId(peer: string): Promise<Map<string, number>>;
  }[],
  peer: string,
  archived: ReadonlyMap<string, number>,
  since: number,
): Promise<string[]> {
  const ids = await Promise.all(senders.map((sender) => sender.seqsByOriginId(peer)));
  const seconds = (at: number | undefined) =>
    at === undefined ? '-' : ((at - since) / 1000).toFixed(2);
  const lines: string[] = [];
  for (const client of counts)
    client.perSender.forEach((sender, index) => {
      const seqs = [
        ...sender.missing.slice(0, 3),
        ...sender.disorder.map((line) => Number(/^#(\d+)/.exec(line)?.[1])).slice(0, 3),
      ];
      for (const seq of seqs) {
        const id = [...(ids[index] ?? [])].find(([, n]) => n === seq)?.[0] ?? '';
        const seen = devices
          .map((device) => {
            const sighting = device.sightings?.get(id);
            return `${device.name} ${sighting ? `${[...sighting.routes].join('+')} at ${seconds(sighting.firstAt)}` : 'never'}`;
          })
          .join(', ');
        lines.push(
          `${client.name}, sender ${index} #${seq}: written at ${seconds(senders[index]?.writtenAt[seq])}; ${seen}; ${archived.get(id) ?? 0} in the archive`,
        );
      }
    });
  return lines;
}
