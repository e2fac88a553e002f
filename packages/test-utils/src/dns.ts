// A tiny DNS server on a free loopback UDP port, for tests of SRV lookups that must never touch the
// real network: it answers SRV questions (RFC 2782) from a table the test fills, NXDOMAIN for names
// it does not hold, and NOTIMP for anything but a standard query. Point a node:dns Resolver at it
// (`resolver.setServers([server.address])`).
import { createSocket as udpSocket, type RemoteInfo } from 'node:dgram';

export interface SrvAnswer {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** The host name; '.' says the service is not offered (RFC 2782). */
  readonly target: string;
}

export interface DnsResponder {
  /** host:port, for Resolver.setServers. */
  readonly address: string;
  /** SRV records by owner name (e.g. _xmpps-client._tcp.example.org), which tests may change. */
  readonly srv: Map<string, SrvAnswer[]>;
  /** Every name asked so far, lower case. */
  readonly asked: string[];
  close(): Promise<void>;
}

const TYPE_SRV = 33;
const CLASS_IN = 1;

function readName(packet: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let at = offset;
  for (;;) {
    const length = packet[at];
    if (length === undefined || length > 63) throw new Error('bad or compressed name');
    at++;
    if (length === 0) break;
    labels.push(packet.subarray(at, at + length).toString('ascii'));
    at += length;
  }
  return { name: labels.join('.').toLowerCase(), next: at };
}

function writeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((label) => label !== '');
  return Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])),
    Buffer.from([0]),
  ]);
}

function answer(query: Buffer, srv: Map<string, SrvAnswer[]>, asked: string[]): Buffer | null {
  if (query.length < 12) return null;
  const id = query.readUInt16BE(0);
  const flags = query.readUInt16BE(2);
  const opcode = (flags >> 11) & 0xf;
  const header = (rcode: number, answers: number) => {
    const out = Buffer.alloc(12);
    out.writeUInt16BE(id, 0);
    // QR, the query's opcode and RD, AA; RA clear (no recursion here).
    out.writeUInt16BE(0x8000 | (opcode << 11) | 0x0400 | (flags & 0x0100) | rcode, 2);
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(answers, 6);
    return out;
  };
  let question: { name: string; next: number };
  try {
    question = readName(query, 12);
  } catch {
    return header(1, 0).fill(0, 4); // FORMERR, and no sections
  }
  const questionBytes = query.subarray(12, question.next + 4);
  const type = query.readUInt16BE(question.next);
  asked.push(question.name);
  if (opcode !== 0) return Buffer.concat([header(4, 0), questionBytes]);
  const records = srv.get(question.name);
  if (records === undefined) return Buffer.concat([header(3, 0), questionBytes]);
  if (type !== TYPE_SRV) return Buffer.concat([header(0, 0), questionBytes]);
  const answers = records.map((record) => {
    const target = writeName(record.target);
    const data = Buffer.alloc(6);
    data.writeUInt16BE(record.priority, 0);
    data.writeUInt16BE(record.weight, 2);
    data.writeUInt16BE(record.port, 4);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(TYPE_SRV, 0);
    fixed.writeUInt16BE(CLASS_IN, 2);
    fixed.writeUInt32BE(60, 4);
    fixed.writeUInt16BE(data.length + target.length, 8);
    // The owner name as a pointer to the question's (offset 12).
    return Buffer.concat([Buffer.from([0xc0, 12]), fixed, data, target]);
  });
  return Buffer.concat([header(0, answers.length), questionBytes, ...answers]);
}

/** Starts the responder on 127.0.0.1 and a free UDP port. */
export async function startDnsResponder(
  records: Record<string, SrvAnswer[]> = {},
): Promise<DnsResponder> {
  const srv = new Map(Object.entries(records).map(([name, list]) => [name.toLowerCase(), list]));
  const asked: string[] = [];
  const socket = udpSocket('udp4');
  socket.on('message', (query: Buffer, from: RemoteInfo) => {
    const reply = answer(query, srv, asked);
    if (reply) socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    srv,
    asked,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
