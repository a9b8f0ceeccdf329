// The reference servers' authentication (targets `ref-*+auth`): with BENCH_REF_JWT_SECRET in the environment,
// every POST (and WebSocket upgrade) needs `Authorization: Bearer <HS256 JWT>` carrying the scope it asks for.
// A token is verified once (HMAC-SHA256, expiry, scope) and then found in a cache, as the product does with its
// authenticator's cache, so that the per-request cost compared is the same lookup.

import { createHmac, timingSafeEqual } from 'node:crypto';

const SECRET = process.env.BENCH_REF_JWT_SECRET || null;
/** token -> { exp (epoch s), scopes } */
const verified = new Map();

/** Whether authentication is on for this server. */
export const authRequired = SECRET !== null;

/** True when authentication is off, or the request carries a valid token with `scope`. */
export function authorized(req, scope) {
  if (SECRET === null) return true;
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const token = header.slice(7);
  let entry = verified.get(token);
  if (entry === undefined) {
    entry = verify(token);
    if (entry === null) return false;
    if (verified.size > 10_000) verified.clear();
    verified.set(token, entry);
  }
  return entry.exp * 1000 > Date.now() && entry.scopes.includes(scope);
}

function verify(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const expected = createHmac('sha256', SECRET).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  } catch {
    return null;
  }
  if (typeof claims.scope !== 'string') return null;
  return { exp: typeof claims.exp === 'number' ? claims.exp : Infinity, scopes: claims.scope.split(' ') };
}
