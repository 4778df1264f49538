/**
 * @module
 * Which browser origins may talk to the API. The token is a bearer header,
 * not a cookie, so a foreign page cannot borrow a user's session; but dev
 * mode has no token at all, and a leaked token should not turn every page
 * on the web into a client. So writes carry the checks that cookies would
 * need anyway: a browser's `Origin` must be this server's own, or one the
 * application listed in `allowedOrigins`. CORS headers go only to those
 * listed origins; with none listed, no `Access-Control-Allow-*` header is
 * ever sent and browsers keep foreign pages from reading any answer.
 */
import { ConfigError } from '../../core/errors.js';

type Header = (name: string) => string | undefined;

/** `allowedOrigins` as exact `scheme://host[:port]` strings, refused at startup when any is not one. */
export function parseAllowedOrigins(list: unknown): ReadonlySet<string> {
  if (list === undefined) return new Set();
  if (!Array.isArray(list)) throw new ConfigError('allowedOrigins must be an array of origins such as "https://app.example.com"');
  const out = new Set<string>();
  for (const item of list) {
    let url: URL | undefined;
    try {
      url = typeof item === 'string' ? new URL(item) : undefined;
    } catch {
      url = undefined;
    }
    // A wildcard would let any page write: with a token that leaks, or in dev mode with none, that is every page on the web.
    const plain = url && url.origin !== 'null' && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
    if (!url || !plain || !/^[a-z][a-z0-9+.-]*:\/\/[^/]+\/?$/i.test(String(item))) {
      throw new ConfigError(
        `allowedOrigins: ${JSON.stringify(item)} is not an origin; give scheme://host[:port] without a path, e.g. "https://app.example.com" (no "*")`,
      );
    }
    out.add(url.origin);
  }
  return out;
}

function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * True when the browser says this request comes from a page served by this
 * very host: the one it asked for (`Host`), or, behind a proxy that rewrites
 * `Host`, the one the proxy says it was asked for (`X-Forwarded-Host`).
 * Trusting the latter is safe here: a page cannot add that header to a
 * cross-site request without a preflight, and preflights get no CORS answer.
 */
function sameHost(origin: string, header: Header): boolean {
  const { host } = new URL(origin);
  const asked = [header('host'), header('x-forwarded-host')?.split(',')[0]];
  return asked.some((h) => h !== undefined && h.trim().toLowerCase() === host);
}

/** The `Origin` when it is one of `allowed`, for the CORS headers; `undefined` otherwise. */
export function listedOrigin(header: Header, allowed: ReadonlySet<string>): string | undefined {
  const raw = header('origin');
  const origin = raw === undefined ? undefined : originOf(raw);
  return origin !== undefined && allowed.has(origin) ? origin : undefined;
}

/**
 * Why a browser request from another site is refused, or `undefined` when it
 * may go on. No `Origin` and no `Sec-Fetch-Site` is a client that is not a
 * browser (curl, a server), which no foreign page can make send anything.
 */
export function crossSiteRefusal(header: Header, allowed: ReadonlySet<string>, write: boolean): string | undefined {
  const raw = header('origin');
  if (raw === undefined) {
    // Only for writes: following a link from another site to the dashboard is a cross-site GET too, and harmless.
    const site = header('sec-fetch-site');
    return write && (site === 'cross-site' || site === 'same-site') ? 'cross-origin requests are refused' : undefined;
  }
  const origin = originOf(raw);
  if (origin === undefined) return 'cross-origin requests are refused (Origin is "null" or not an origin)';
  if (allowed.has(origin) || sameHost(origin, header)) return undefined;
  return `cross-origin requests are refused: ${origin} is not this server; list it in allowedOrigins to let it call the API`;
}

/** The answer to a CORS preflight from a listed origin. */
export function preflightHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST',
    'access-control-allow-headers': 'authorization, content-type, last-event-id',
    'access-control-max-age': '600',
    vary: 'origin',
  };
}
