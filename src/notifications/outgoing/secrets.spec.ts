import { ErrorBody, ValidationError } from '../../common/api-error';
import { MASKED, maskUrl, restoreSecrets } from './secrets';

describe('maskUrl', () => {
  it('masks the password and keeps the user name', () => {
    expect(maskUrl('https://user:pa55@hooks.example.com/x?y=1')).toBe(
      `https://user:${MASKED}@hooks.example.com/x?y=1`,
    );
  });

  it('masks a lone user name, which is then the secret (a token)', () => {
    expect(maskUrl('https://t0ken@hooks.example.com/x')).toBe(`https://${MASKED}@hooks.example.com/x`);
  });

  it('returns a URL without credentials exactly as given', () => {
    expect(maskUrl('http://127.0.0.1:9/hook')).toBe('http://127.0.0.1:9/hook');
    expect(maskUrl('HTTPS://Hooks.Example.com')).toBe('HTTPS://Hooks.Example.com');
  });
});

describe('restoreSecrets', () => {
  const stored = {
    url: 'https://user:pa55@hooks.example.com/x',
    headers: { Authorization: 'Bearer s3cret' },
  };
  const masked = { url: maskUrl(stored.url), headers: { authorization: MASKED } };
  const refusal = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return ((error as ValidationError).getResponse() as ErrorBody).error.message;
    }
    throw new Error('expected a ValidationError');
  };

  it('keeps the stored URL credentials and header values when everything comes back masked', () => {
    expect(restoreSecrets(masked, stored)).toEqual({
      url: stored.url,
      headers: { authorization: 'Bearer s3cret' },
    });
  });

  it('takes new values as given, on create too', () => {
    const fresh = { url: 'https://a:b@other.example.com/', headers: { Authorization: 'Bearer new' } };
    expect(restoreSecrets(fresh, stored)).toEqual(fresh);
    expect(restoreSecrets(fresh, undefined)).toEqual(fresh);
  });

  it('refuses a masked header when the destination URL changed, naming the header', () => {
    const moved = { url: 'https://user:pa55@evil.example.com/x', headers: { Authorization: MASKED } };
    expect(refusal(() => restoreSecrets(moved, stored, 'steps.1.action.'))).toMatch(
      /^steps\.1\.action\.headers\.Authorization: the destination URL changed/,
    );
  });

  it('refuses a masked header with no stored value to keep', () => {
    expect(refusal(() => restoreSecrets({ url: stored.url, headers: { 'X-Key': MASKED } }, stored))).toMatch(
      /^headers\.X-Key: .*there is none/,
    );
    expect(refusal(() => restoreSecrets(masked, undefined))).toMatch(/^url: /);
  });

  it.each([
    ['another host', `https://user:${MASKED}@evil.example.com/x`],
    ['another path', `https://user:${MASKED}@hooks.example.com/y`],
    ['another user name', `https://admin:${MASKED}@hooks.example.com/x`],
    ['another scheme', `http://user:${MASKED}@hooks.example.com/x`],
    ['another port', `https://user:${MASKED}@hooks.example.com:8443/x`],
  ])('refuses masked URL credentials when the URL has %s', (_what, url) => {
    expect(refusal(() => restoreSecrets({ url, headers: {} }, stored))).toMatch(
      /^url: .* only while the rest of the URL is unchanged/,
    );
  });

  it('judges the URL as parsed: a trailing slash the parser adds is no change', () => {
    const bare = { url: 'https://hooks.example.com', headers: { Authorization: 'Bearer s3cret' } };
    expect(
      restoreSecrets({ url: 'https://hooks.example.com/', headers: { Authorization: MASKED } }, bare).headers,
    ).toEqual({ Authorization: 'Bearer s3cret' });
  });

  it('leaves a null URL (a target that is not a webhook) alone', () => {
    expect(restoreSecrets({ url: null, headers: {} }, undefined)).toEqual({ url: null, headers: {} });
  });
});
