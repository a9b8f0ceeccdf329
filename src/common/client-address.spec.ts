import { ClientAddresses, parseProxyEntry } from './client-address';

describe('ClientAddresses', () => {
  const behindBalancer = new ClientAddresses(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);

  it('is the TCP peer when no proxy is trusted, whatever X-Forwarded-For claims', () => {
    const direct = new ClientAddresses([]);
    expect(direct.of('203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
    expect(direct.of('::ffff:203.0.113.9', undefined)).toBe('203.0.113.9');
    expect(direct.of(undefined, undefined)).toBe('unknown');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(behindBalancer.of('203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
  });

  it('takes the first untrusted address from the right behind trusted proxies', () => {
    expect(behindBalancer.of('10.1.2.3', '198.51.100.1')).toBe('198.51.100.1');
    // A client-supplied entry on the left cannot win over the address the first trusted proxy saw.
    expect(behindBalancer.of('10.1.2.3', '1.2.3.4, 198.51.100.1, 192.168.1.5')).toBe('198.51.100.1');
    expect(behindBalancer.of('::ffff:10.1.2.3', ['1.2.3.4', '198.51.100.1'])).toBe('198.51.100.1');
    expect(behindBalancer.of('fd00::1', '2001:db8::7')).toBe('2001:db8::7');
  });

  it('stops at an entry that is not an address, and falls back to the peer without the header', () => {
    expect(behindBalancer.of('10.1.2.3', 'evil, 198.51.100.1')).toBe('198.51.100.1');
    expect(behindBalancer.of('10.1.2.3', 'not-an-ip')).toBe('10.1.2.3');
    expect(behindBalancer.of('10.1.2.3', undefined)).toBe('10.1.2.3');
    // Only trusted proxies all the way: the leftmost is the best guess.
    expect(behindBalancer.of('10.1.2.3', '10.9.9.9')).toBe('10.9.9.9');
  });

  it('parses addresses and prefixes, and refuses anything else', () => {
    expect(parseProxyEntry('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8 });
    expect(parseProxyEntry('::1')).toEqual({ address: '::1', prefix: null });
    for (const bad of ['10.0.0.0/33', '::/129', 'host.internal', '10.0.0.0/8/1', '10.0.0.0/x', '']) {
      expect(parseProxyEntry(bad)).toBeUndefined();
    }
  });
});
