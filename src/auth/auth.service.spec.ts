import { generateApiKey } from './api-key';
import type { ApiKeysService } from './api-keys.service';
import { AuthService } from './auth.service';
import type { JwtVerifier } from './jwt-verifier';
import { AuthFailure, AuthenticationFailedError, CredentialKind, Principal } from './principal';

const keyPrincipal: Principal = {
  kind: CredentialKind.ApiKey,
  id: 'k1',
  name: 'ci',
  scopes: new Set(['admin']),
  constraint: null,
  expiresAt: null,
};
const jwtPrincipal: Principal = { ...keyPrincipal, kind: CredentialKind.Jwt, id: 'alice', name: 'alice' };

describe('AuthService', () => {
  const key = generateApiKey();
  let apiKeys: { authenticate: jest.Mock };
  let jwt: { verify: jest.Mock };
  let auth: AuthService;

  beforeEach(() => {
    apiKeys = {
      authenticate: jest.fn((token: string) => {
        if (token === key) return keyPrincipal;
        throw new AuthenticationFailedError(AuthFailure.Unknown);
      }),
    };
    jwt = { verify: jest.fn(() => Promise.resolve(jwtPrincipal)) };
    auth = new AuthService(apiKeys as unknown as ApiKeysService, jwt as unknown as JwtVerifier);
  });

  async function reasonOf(header: string | undefined): Promise<AuthFailure | undefined> {
    try {
      await auth.authenticate(header);
      return undefined;
    } catch (error) {
      if (error instanceof AuthenticationFailedError) return error.reason;
      throw error;
    }
  }

  it.each(['Bearer', 'bearer', 'BEARER'])('reads the token of "%s <token>"', async (scheme) => {
    expect(await auth.authenticate(`${scheme} ${key}`)).toBe(keyPrincipal);
  });

  it('checks an API key in memory and never parses it as a JWT', async () => {
    await auth.authenticate(`Bearer ${key}`);
    expect(await reasonOf(`Bearer llmim_${'x'.repeat(43)}`)).toBe(AuthFailure.Unknown);
    expect(jwt.verify).not.toHaveBeenCalled();
  });

  it('verifies any other token as a JWT', async () => {
    expect(await auth.authenticate('Bearer aaa.bbb.ccc')).toBe(jwtPrincipal);
    expect(jwt.verify).toHaveBeenCalledWith('aaa.bbb.ccc');
    expect(apiKeys.authenticate).not.toHaveBeenCalled();
  });

  it.each([
    [undefined, AuthFailure.Missing],
    ['', AuthFailure.Missing],
    ['   ', AuthFailure.Missing],
    ['Bearer', AuthFailure.Malformed],
    ['Bearer ', AuthFailure.Malformed],
    [`Basic ${Buffer.from('a:b').toString('base64')}`, AuthFailure.Malformed],
    [`Bearer ${key} extra`, AuthFailure.Malformed],
    [key, AuthFailure.Malformed],
  ])('refuses the header %p as %s', async (header, reason) => {
    expect(await reasonOf(header)).toBe(reason);
  });

  it('takes a bare token (the WebSocket access_token) with authenticateToken', async () => {
    expect(await auth.authenticateToken(key)).toBe(keyPrincipal);
    await expect(auth.authenticateToken('')).rejects.toEqual(
      new AuthenticationFailedError(AuthFailure.Missing),
    );
  });
});
