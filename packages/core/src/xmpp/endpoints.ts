// Where a server can be reached, and a session that uses every address it has.
// RFC 6120 §3.2 (https://www.rfc-editor.org/rfc/rfc6120#section-3.2): a client looks up the
// domain's _xmpp-client._tcp SRV records and tries each target in order, falling back to the
// domain itself on port 5222 when there are none. XEP-0368 (https://xmpp.org/extensions/xep-0368.html)
// adds _xmpps-client._tcp for direct TLS; both lists are tried as one, ordered by priority and weight
// (RFC 2782, https://www.rfc-editor.org/rfc/rfc2782). On Node the lookup uses its resolver; on the
// web and in the app there is no SRV lookup, so the addresses are given as a list.
//
// Every address is checked like the first: TLS with the XMPP domain's certificate, whatever host
// name the record gives (reconnect.ts failOver), and the login is the same everywhere.
import { HushError, isHushError } from '../errors.ts';
import { openSession, type SessionOptions, type XmppSession } from './session.ts';

/** One SRV record, as Node's dns.promises.resolveSrv gives it. */
export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** Looks up the SRV records of one owner name (e.g. _xmpps-client._tcp.example.org). */
export type ResolveSrv = (name: string) => Promise<readonly SrvRecord[]>;

export interface ResolveOptions {
  /** The SRV lookup; by default Node's resolver where there is one (platformSrvResolver). */
  readonly resolveSrv?: ResolveSrv;
  /** A number in [0, 1) for the weighted choice among equal priorities; Math.random by default. */
  readonly random?: () => number;
}

/** Node's dns.promises.resolveSrv when this runs on Node; undefined on the web and in the app. */
export function platformSrvResolver(): ResolveSrv | undefined {
  const node = (
    globalThis as {
      process?: { getBuiltinModule?: (id: string) => unknown };
    }
  ).process;
  const dns = node?.getBuiltinModule?.('node:dns') as
    { promises?: { resolveSrv?: ResolveSrv } } | undefined;
  const resolveSrv = dns?.promises?.resolveSrv;
  return resolveSrv ? (name) => resolveSrv(name) : undefined;
}

/** DNS answers that say "no such records": anything else (a timeout, SERVFAIL) is a failed lookup. */
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'NOTFOUND']);

interface Candidate {
  readonly service: string;
  readonly priority: number;
  readonly weight: number;
}

/**
 * RFC 2782's order: lowest priority first; within a priority, a weighted random draw, again and
 * again, among what is left (weight 0 has a small chance only when it is all that is left, or when
 * the draw lands on it first). Candidates of equal weight keep their given order when `random`
 * returns 0.
 */
export function orderByPriorityAndWeight<T extends { priority: number; weight: number }>(
  records: readonly T[],
  random: () => number = Math.random,
): T[] {
  const ordered: T[] = [];
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b);
  for (const priority of priorities) {
    // Weight 0 first, as RFC 2782 places them, so they are only chosen when the draw is 0.
    const left = records
      .filter((r) => r.priority === priority)
      .sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (left.length > 0) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      const draw = Math.min(Math.floor(random() * (total + 1)), total);
      let running = 0;
      let index = left.findIndex((r) => (running += r.weight) >= draw);
      if (index < 0) index = 0;
      const [chosen] = left.splice(index, 1);
      if (chosen) ordered.push(chosen);
    }
  }
  return ordered;
}

async function lookUp(
  resolveSrv: ResolveSrv,
  name: string,
): Promise<{ records: readonly SrvRecord[]; failed?: unknown }> {
  try {
    return { records: await resolveSrv(name) };
  } catch (error) {
    const code = (error as { code?: string } | null)?.code ?? '';
    return NO_RECORDS.has(code) ? { records: [] } : { records: [], failed: error };
  }
}

/**
 * The addresses of `domain`'s server, most preferred first: xmpps:// for _xmpps-client._tcp
 * records (direct TLS), xmpp:// for _xmpp-client._tcp ones (STARTTLS), as one list by priority and
 * weight, direct TLS first where both are equal. A service whose only record targets "." is not
 * offered. Without records, xmpp://DOMAIN:5222 (unless _xmpp-client's target is "."). Throws ServerUnreachable when both lookups failed
 * (not "no records": the DNS did not answer), and where there is no SRV lookup and none was given
 * (web, app: give the list instead): either way the server cannot be found from here.
 */
export async function resolveEndpoints(
  domain: string,
  options: ResolveOptions = {},
): Promise<string[]> {
  const name = domain.trim().toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name)) {
    throw new HushError('InvalidUsername', `'${domain}' is not a server name.`);
  }
  const resolveSrv = options.resolveSrv ?? platformSrvResolver();
  if (!resolveSrv) {
    throw new HushError(
      'ServerUnreachable',
      'There is no DNS lookup here: give the server addresses (wss://…) instead.',
    );
  }
  const [direct, starttls] = await Promise.all([
    lookUp(resolveSrv, `_xmpps-client._tcp.${name}`),
    lookUp(resolveSrv, `_xmpp-client._tcp.${name}`),
  ]);
  if (direct.failed !== undefined && starttls.failed !== undefined) {
    throw new HushError('ServerUnreachable', `The DNS lookup for ${name} failed.`, {
      cause: direct.failed,
    });
  }
  const candidates: Candidate[] = [];
  for (const [scheme, { records }] of [
    ['xmpps', direct],
    ['xmpp', starttls],
  ] as const) {
    // RFC 2782: a lone record whose target is "." says the service is decidedly not offered.
    const offered = records.filter((r) => r.name !== '' && r.name !== '.');
    for (const record of offered) {
      const host = record.name.replace(/\.$/, '');
      if (!Number.isInteger(record.port) || record.port < 1 || record.port > 65535) continue;
      const literal = host.includes(':') ? `[${host}]` : host;
      candidates.push({
        service: `${scheme}://${literal}:${record.port}`,
        priority: record.priority,
        weight: record.weight,
      });
    }
  }
  if (candidates.length === 0) {
    // RFC 6120 §3.2.1: a "." target for the client service rules out the fallback too.
    if (starttls.records.some((r) => r.name === '' || r.name === '.')) {
      throw new HushError('ServerUnreachable', `${name} says it offers no XMPP service.`);
    }
    return [`xmpp://${name}:5222`];
  }
  return [...new Set(orderByPriorityAndWeight(candidates, options.random).map((c) => c.service))];
}

/** Failures that say "this address, not the account": the next address is worth a try. */
const TRY_NEXT = new Set(['ServerUnreachable', 'Timeout', 'CertificateUntrusted']);

/**
 * A session through the first of `endpoints` (from resolveEndpoints, or a list given on the web and
 * in the app) that can be reached, trying each in order; its reconnections go round all of them,
 * starting from the one in use. A refused login ends the attempt at once (every address is the same
 * server). When none can be reached: the untrusted certificate if one was met (it may be someone
 * in between), else the last failure.
 */
export async function openSessionAt(
  options: Omit<SessionOptions, 'service' | 'alternatives'>,
  endpoints: readonly string[],
): Promise<XmppSession> {
  const list = [...new Set(endpoints)];
  // Nowhere to connect (no address given): the server cannot be reached, and nothing was asked of it.
  if (list.length === 0)
    throw new HushError('ServerUnreachable', 'No server address to connect to.');
  const failures: HushError[] = [];
  for (const [index, service] of list.entries()) {
    try {
      return await openSession({
        ...options,
        service,
        alternatives: [...list.slice(index + 1), ...list.slice(0, index)],
      });
    } catch (error) {
      if (!isHushError(error) || !TRY_NEXT.has(error.code)) throw error;
      failures.push(error);
    }
  }
  throw failures.find((e) => e.code === 'CertificateUntrusted') ?? (failures.at(-1) as HushError);
}
