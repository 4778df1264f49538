/**
 * @module
 * Who may call the API. With a token: `Authorization: Bearer <token>`,
 * compared in constant time (SHA-256 digests of equal length, then
 * `timingSafeEqual`). With `dev: true`: no token, but only from this
 * machine: the socket's peer must be loopback, the request must not have come
 * through a proxy (forwarding headers), its Host must be a loopback name
 * (against DNS rebinding). A browser's Origin is checked in origin.ts: on
 * every write, and in dev mode on every request.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Returns a checker for `Authorization` header values. */
export function bearerChecker(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    // Digest even when absent, so a missing header costs the same as a wrong one.
    const given = digest(match ? match[1] : '');
    return timingSafeEqual(given, expected) && match !== null;
  };
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  if (a === '::1') return true;
  return isIP(a) === 4 && a.startsWith('127.');
}

function hostnameOf(hostHeader: string): string | undefined {
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function isLoopbackHostname(hostname: string | undefined): boolean {
  if (!hostname) return false;
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (hostname === '[::1]') return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

const forwardingHeaders = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-host'];

/** Why a dev-mode request is refused, or `undefined` when it may go on. */
export function devRefusal(remoteAddress: string | undefined, header: (name: string) => string | undefined): string | undefined {
  if (!isLoopbackAddress(remoteAddress))
    return 'dev mode answers loopback clients only; start the handler with a token to serve other hosts';
  if (forwardingHeaders.some((h) => header(h) !== undefined))
    return 'dev mode refuses proxied requests; start the handler with a token behind a proxy';
  const host = header('host');
  if (!isLoopbackHostname(host === undefined ? undefined : hostnameOf(host)))
    return 'dev mode needs a loopback Host (localhost or 127.0.0.1)';
  return undefined;
}
