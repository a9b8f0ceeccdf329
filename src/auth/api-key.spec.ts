import { createHash } from 'node:crypto';
import { API_KEY_PREFIX, generateApiKey, hashApiKey, isWellFormedApiKey } from './api-key';

describe('API key format', () => {
  it('is the prefix and 256 random bits in base64url (43 characters)', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^llmim_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(API_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(isWellFormedApiKey(key)).toBe(true);
  });

  it('never repeats', () => {
    const keys = new Set(Array.from({ length: 1000 }, generateApiKey));
    expect(keys.size).toBe(1000);
  });

  it.each([
    ['no prefix', 'x'.repeat(49)],
    ['too short', 'llmim_abc'],
    ['too long', `llmim_${'a'.repeat(44)}`],
    ['outside base64url', `llmim_${'a'.repeat(42)}=`],
  ])('refuses a token with %s', (_what, token) => {
    expect(isWellFormedApiKey(token)).toBe(false);
  });

  it('is stored as its SHA-256 in hex, which does not contain the key', () => {
    const key = generateApiKey();
    const hash = hashApiKey(key);
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(key.slice(API_KEY_PREFIX.length));
  });
});
