// Where the gateway may send a wake-up. A Web Push or UnifiedPush endpoint is a URL the device
// names, and the gateway POSTs to it: without a limit, any account could point it at services on
// the gateway's own machine or network. Push services are public: an endpoint that names this
// machine or a private, link-local or unique-local address is refused. (A public name that resolves
// to such an address is not caught here; the request carries nothing but the fixed wake-up.)
import { isIP } from 'node:net';

function privateV4(address: string): boolean {
  const [a = 0, b = 0] = address.split('.').map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168)
  );
}

function privateV6(address: string): boolean {
  const lower = address.toLowerCase();
  // IPv4-mapped (::ffff:a.b.c.d, which URL writes as ::ffff:HHHH:HHHH).
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (dotted) return privateV4(dotted);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1] ?? '0', 16);
    const low = parseInt(hex[2] ?? '0', 16);
    return privateV4(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  return (
    lower === '::' ||
    lower === '::1' ||
    /^f[cd]/.test(lower) || // fc00::/7 unique local
    /^fe[89ab]/.test(lower) // fe80::/10 link local
  );
}

/** Whether `endpoint` (an https URL) names a host the gateway must not send to. */
export function isPrivateEndpoint(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    (!host.includes('.') && isIP(host) === 0)
  )
    return true;
  switch (isIP(host)) {
    case 4:
      return privateV4(host);
    case 6:
      return privateV6(host);
    default:
      return false;
  }
}
