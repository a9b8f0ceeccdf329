import { Logger } from '@nestjs/common';
import * as jose from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../test/support/manual-clock';
import { loadConfig } from '../config/load-config';
import { JwtVerifier } from './jwt-verifier';
import { AuthFailure, AuthenticationFailedError, CredentialKind } from './principal';

// A pass-through spy, to count signature verifications (the cache's whole point).
jest.mock('jose', () => {
  const actual = jest.requireActual<typeof import('jose')>('jose');
  return { ...actual, jwtVerify: jest.fn(actual.jwtVerify) };
});
const jwtVerify = jose.jwtVerify as jest.MockedFunction<typeof jose.jwtVerify>;

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const START = Date.parse('2026-03-01T12:00:00.000Z');
const NOW_S = START / 1000;

async function reasonOf(promise: Promise<unknown>): Promise<AuthFailure | 'accepted'> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (error instanceof AuthenticationFailedError) return error.reason;
    throw error;
  }
}

function hs256(claims: jose.JWTPayload, { exp = NOW_S + 3600, secret = SECRET } = {}): Promise<string> {
  const jwt = new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  if (exp !== 0) jwt.setExpirationTime(exp);
  return jwt.sign(new TextEncoder().encode(secret));
}

describe('JwtVerifier', () => {
  let clock: ManualClock;
  const verifier = (env: Record<string, string>): JwtVerifier => new JwtVerifier(loadConfig(env), clock);

  beforeAll(() => jest.spyOn(Logger.prototype, 'log').mockImplementation());
  afterAll(() => jest.restoreAllMocks());

  beforeEach(() => {
    clock = new ManualClock(START);
    jwtVerify.mockClear();
  });

  describe('HS256 (AUTH_JWT_SECRET)', () => {
    it('turns sub, scope and llm_im_constraint into the principal, ignoring unknown scopes', async () => {
      const token = await hs256({
        sub: 'alice',
        scope: 'incidents:read  stream:read other-service:write',
        llm_im_constraint: { severities: ['P0'] },
      });
      expect(await verifier({ AUTH_JWT_SECRET: SECRET }).verify(token)).toEqual({
        kind: CredentialKind.Jwt,
        id: 'alice',
        name: 'alice',
        scopes: new Set(['incidents:read', 'stream:read']),
        constraint: { severities: ['P0'] },
        expiresAt: (NOW_S + 3600) * 1000,
      });
    });

    it('refuses another signature, a token without exp or sub, and a constraint that is not an object', async () => {
      const v = verifier({ AUTH_JWT_SECRET: SECRET });
      expect(await reasonOf(v.verify(await hs256({ sub: 'a' }, { secret: 'x'.repeat(32) })))).toBe(
        AuthFailure.InvalidToken,
      );
      expect(await reasonOf(v.verify(await hs256({ sub: 'a' }, { exp: 0 })))).toBe(AuthFailure.InvalidToken);
      expect(await reasonOf(v.verify(await hs256({ scope: 'admin' })))).toBe(AuthFailure.InvalidToken);
      expect(await reasonOf(v.verify(await hs256({ sub: 'a', llm_im_constraint: ['x'] })))).toBe(
        AuthFailure.InvalidToken,
      );
      expect(await reasonOf(v.verify(await hs256({ sub: 'a', scope: ['admin'] })))).toBe(
        AuthFailure.InvalidToken,
      );
    });

    it('refuses a token from its exp on as expired, also once cached', async () => {
      const v = verifier({ AUTH_JWT_SECRET: SECRET });
      const token = await hs256({ sub: 'a' }, { exp: NOW_S + 60 });
      expect(await reasonOf(v.verify(token))).toBe('accepted');
      await clock.advance(60_000);
      expect(await reasonOf(v.verify(token))).toBe(AuthFailure.Expired);
      expect(await reasonOf(v.verify(await hs256({ sub: 'a' }, { exp: NOW_S - 1 })))).toBe(
        AuthFailure.Expired,
      );
    });

    it('checks iss and aud when they are configured', async () => {
      const v = verifier({
        AUTH_JWT_SECRET: SECRET,
        AUTH_JWT_ISSUER: 'https://idp',
        AUTH_JWT_AUDIENCE: 'llm-im',
      });
      expect(await reasonOf(v.verify(await hs256({ sub: 'a', iss: 'https://idp', aud: 'llm-im' })))).toBe(
        'accepted',
      );
      expect(await reasonOf(v.verify(await hs256({ sub: 'a', iss: 'https://other', aud: 'llm-im' })))).toBe(
        AuthFailure.InvalidToken,
      );
      expect(await reasonOf(v.verify(await hs256({ sub: 'a', iss: 'https://idp', aud: 'other' })))).toBe(
        AuthFailure.InvalidToken,
      );
      expect(await reasonOf(v.verify(await hs256({ sub: 'a' })))).toBe(AuthFailure.InvalidToken);
    });

    it('verifies a token once, then answers from the cache until exp; concurrent first uses share it', async () => {
      const v = verifier({ AUTH_JWT_SECRET: SECRET });
      const token = await hs256({ sub: 'a', scope: 'admin' });
      const [first, ...others] = await Promise.all(Array.from({ length: 5 }, () => v.verify(token)));
      expect(others.every((p) => p === first)).toBe(true);
      expect(await v.verify(token)).toBe(first);
      expect(jwtVerify).toHaveBeenCalledTimes(1);
    });

    it('does not cache a refusal, and calls a token that is not a compact JWS malformed', async () => {
      const v = verifier({ AUTH_JWT_SECRET: SECRET });
      const forged = await hs256({ sub: 'a' }, { secret: 'y'.repeat(32) });
      expect(await reasonOf(v.verify(forged))).toBe(AuthFailure.InvalidToken);
      expect(await reasonOf(v.verify(forged))).toBe(AuthFailure.InvalidToken);
      expect(jwtVerify).toHaveBeenCalledTimes(2);
      expect(await reasonOf(v.verify('not-a-jwt'))).toBe(AuthFailure.Malformed);
    });

    it('refuses every JWT when none is configured', async () => {
      const v = verifier({});
      expect(v.enabled).toBe(false);
      expect(await reasonOf(v.verify(await hs256({ sub: 'a' })))).toBe(AuthFailure.InvalidToken);
    });
  });

  describe('RS256 / ES256 (AUTH_JWKS_FILE)', () => {
    let dir: string;
    let jwksFile: string;
    const signers: Record<'RS256' | 'ES256', jose.KeyLike> = {} as never;
    let stranger: jose.KeyLike;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'llm-im-jwks-'));
      jwksFile = join(dir, 'jwks.json');
      const keys: jose.JWK[] = [];
      for (const alg of ['RS256', 'ES256'] as const) {
        const { publicKey, privateKey } = await jose.generateKeyPair(alg);
        signers[alg] = privateKey;
        keys.push({ ...(await jose.exportJWK(publicKey)), kid: alg.toLowerCase(), alg, use: 'sig' });
      }
      writeFileSync(jwksFile, JSON.stringify({ keys }));
      stranger = (await jose.generateKeyPair('RS256')).privateKey;
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const sign = (alg: 'RS256' | 'ES256', key: jose.KeyLike, kid = alg.toLowerCase()): Promise<string> =>
      new jose.SignJWT({ sub: `svc-${alg}`, scope: 'alerts:write' })
        .setProtectedHeader({ alg, kid })
        .setExpirationTime(NOW_S + 600)
        .sign(key);

    it.each(['RS256', 'ES256'] as const)('accepts a %s token signed by a key of the file', async (alg) => {
      const principal = await verifier({ AUTH_JWKS_FILE: jwksFile }).verify(await sign(alg, signers[alg]));
      expect(principal).toMatchObject({ kind: 'jwt', name: `svc-${alg}`, scopes: new Set(['alerts:write']) });
    });

    it('refuses a token signed by a key not in the file, and HS256 when no secret is set', async () => {
      const v = verifier({ AUTH_JWKS_FILE: jwksFile });
      expect(await reasonOf(v.verify(await sign('RS256', stranger)))).toBe(AuthFailure.InvalidToken);
      expect(await reasonOf(v.verify(await hs256({ sub: 'a' })))).toBe(AuthFailure.InvalidToken);
    });

    it('accepts both kinds when both AUTH_JWT_SECRET and AUTH_JWKS_FILE are set', async () => {
      const v = verifier({ AUTH_JWKS_FILE: jwksFile, AUTH_JWT_SECRET: SECRET });
      expect(await reasonOf(v.verify(await sign('ES256', signers.ES256)))).toBe('accepted');
      expect(await reasonOf(v.verify(await hs256({ sub: 'a' })))).toBe('accepted');
    });

    it('stops the start with a message naming a missing or invalid file', () => {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{"keys": []}');
      expect(() => verifier({ AUTH_JWKS_FILE: bad })).toThrow(/AUTH_JWKS_FILE .*bad\.json must be a JWKS/);
      expect(() => verifier({ AUTH_JWKS_FILE: join(dir, 'absent.json') })).toThrow(/AUTH_JWKS_FILE .*absent/);
    });
  });
});
