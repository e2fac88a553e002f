// XEP-0384 OMEMO Encryption (OMEMO 2, urn:xmpp:omemo:2) §4.3 protobuf schema — https://xmpp.org/extensions/xep-0384.html
// The three protobuf (proto2) messages of OMEMO 2, written and read by hand: they have six scalar
// fields between them, far less than a protobuf runtime would weigh in a bundle.
//   OMEMOMessage              { required uint32 n = 1; required uint32 pn = 2;
//                               required bytes dh_pub = 3; optional bytes ciphertext = 4; }
//   OMEMOAuthenticatedMessage { required bytes mac = 1; required bytes message = 2; }
//   OMEMOKeyExchange          { required uint32 pk_id = 1; required uint32 spk_id = 2;
//                               required bytes ik = 3; required bytes ek = 4;
//                               required OMEMOAuthenticatedMessage message = 5; }
// Readers return null for anything malformed (a truncated field, a missing required one, a number
// past uint32) and skip unknown fields, as protobuf does.

export interface OmemoMessage {
  readonly n: number;
  readonly pn: number;
  readonly dhPub: Uint8Array;
  readonly ciphertext?: Uint8Array;
}

export interface OmemoAuthenticatedMessage {
  readonly mac: Uint8Array;
  /** A serialized OMEMOMessage (the MAC covers these exact bytes). */
  readonly message: Uint8Array;
}

export interface OmemoKeyExchange {
  readonly pkId: number;
  readonly spkId: number;
  readonly ik: Uint8Array;
  readonly ek: Uint8Array;
  /** A serialized OMEMOAuthenticatedMessage. */
  readonly message: Uint8Array;
}

const VARINT = 0;
const LENGTH_DELIMITED = 2;

class Writer {
  readonly #parts: number[] = [];
  #chunks: Uint8Array[] = [];

  #flush(): void {
    if (this.#parts.length > 0) this.#chunks.push(Uint8Array.from(this.#parts.splice(0)));
  }

  #varint(value: number): void {
    let rest = value >>> 0;
    while (rest > 0x7f) {
      this.#parts.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    this.#parts.push(rest);
  }

  uint32(field: number, value: number): this {
    this.#varint((field << 3) | VARINT);
    this.#varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#varint((field << 3) | LENGTH_DELIMITED);
    this.#varint(value.length);
    this.#flush();
    this.#chunks.push(value);
    return this;
  }

  finish(): Uint8Array {
    this.#flush();
    const out = new Uint8Array(this.#chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    this.#chunks = [];
    return out;
  }
}

type Field = number | Uint8Array;

/** Field number -> last value (protobuf: the last one wins), or null when the bytes do not parse. */
function readFields(bytes: Uint8Array): Map<number, Field> | null {
  const fields = new Map<number, Field>();
  let offset = 0;
  const varint = (): number | null => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = bytes[offset++];
      if (byte === undefined) return null;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return null;
  };
  while (offset < bytes.length) {
    const key = varint();
    if (key === null) return null;
    const field = Math.floor(key / 8);
    const type = key % 8;
    if (type === VARINT) {
      const value = varint();
      if (value === null) return null;
      fields.set(field, value);
    } else if (type === LENGTH_DELIMITED) {
      const length = varint();
      if (length === null || offset + length > bytes.length) return null;
      fields.set(field, bytes.subarray(offset, offset + length));
      offset += length;
    } else if (type === 5) offset += 4;
    else if (type === 1) offset += 8;
    else return null;
    if (offset > bytes.length) return null;
  }
  return fields;
}

function uint32Of(fields: Map<number, Field>, field: number): number | null {
  const value = fields.get(field);
  return typeof value === 'number' && value <= 0xffffffff ? value : null;
}

function bytesOf(fields: Map<number, Field>, field: number): Uint8Array | null {
  const value = fields.get(field);
  return value instanceof Uint8Array ? value : null;
}

export function writeMessage(message: OmemoMessage): Uint8Array {
  const writer = new Writer().uint32(1, message.n).uint32(2, message.pn).bytes(3, message.dhPub);
  if (message.ciphertext) writer.bytes(4, message.ciphertext);
  return writer.finish();
}

export function readMessage(bytes: Uint8Array): OmemoMessage | null {
  const fields = readFields(bytes);
  if (!fields) return null;
  const n = uint32Of(fields, 1);
  const pn = uint32Of(fields, 2);
  const dhPub = bytesOf(fields, 3);
  if (n === null || pn === null || !dhPub) return null;
  const ciphertext = bytesOf(fields, 4);
  return ciphertext ? { n, pn, dhPub, ciphertext } : { n, pn, dhPub };
}

export function writeAuthenticated(message: OmemoAuthenticatedMessage): Uint8Array {
  return new Writer().bytes(1, message.mac).bytes(2, message.message).finish();
}

export function readAuthenticated(bytes: Uint8Array): OmemoAuthenticatedMessage | null {
  const fields = readFields(bytes);
  const mac = fields && bytesOf(fields, 1);
  const message = fields && bytesOf(fields, 2);
  return mac && message ? { mac, message } : null;
}

export function writeKeyExchange(exchange: OmemoKeyExchange): Uint8Array {
  return new Writer()
    .uint32(1, exchange.pkId)
    .uint32(2, exchange.spkId)
    .bytes(3, exchange.ik)
    .bytes(4, exchange.ek)
    .bytes(5, exchange.message)
    .finish();
}

export function readKeyExchange(bytes: Uint8Array): OmemoKeyExchange | null {
  const fields = readFields(bytes);
  if (!fields) return null;
  const pkId = uint32Of(fields, 1);
  const spkId = uint32Of(fields, 2);
  const ik = bytesOf(fields, 3);
  const ek = bytesOf(fields, 4);
  const message = bytesOf(fields, 5);
  if (pkId === null || spkId === null || !ik || !ek || !message) return null;
  return { pkId, spkId, ik, ek, message };
}
