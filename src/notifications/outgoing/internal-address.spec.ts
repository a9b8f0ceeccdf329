import { bareHost, isInternalAddress, isInternalHostName } from './internal-address';

/** What `new URL()` makes of a host, as the guard sees it. */
const urlHost = (host: string): string => bareHost(new URL(`http://${host}/`).hostname);

describe('isInternalAddress', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', '"this network"'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback, top of the range'],
    ['10.0.0.1', 'RFC 1918 10/8'],
    ['172.16.0.1', 'RFC 1918 172.16/12, bottom'],
    ['172.31.255.255', 'RFC 1918 172.16/12, top'],
    ['192.168.1.1', 'RFC 1918 192.168/16'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.64.0.1', 'CGNAT 100.64/10'],
    ['100.127.255.255', 'CGNAT, top of the range'],
    ['192.0.0.170', 'IETF protocol assignments'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'IPv6 unspecified'],
    ['::1', 'IPv6 loopback'],
    ['fc00::1', 'unique-local fc00::/7, bottom'],
    ['fd00:ec2::254', 'unique-local (AWS metadata over IPv6)'],
    ['fe80::1', 'link-local fe80::/10'],
    ['febf::1', 'link-local, top of the range'],
    ['fe80::1%eth0', 'link-local with a zone index'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata address'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['64:ff9b::10.0.0.1', 'NAT64 of a private address'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback, written out'],
  ])('refuses %s (%s)', (address) => {
    expect(isInternalAddress(address)).toBe(true);
  });

  it.each([
    ['8.8.8.8'],
    ['93.184.216.34'],
    ['100.63.255.255'], // just below CGNAT
    ['100.128.0.0'], // just above CGNAT
    ['172.15.255.255'], // just below 172.16/12
    ['172.32.0.0'], // just above 172.16/12
    ['169.253.255.255'],
    ['11.0.0.1'],
    ['223.255.255.255'],
    ['2001:4860:4860::8888'],
    ['2606:4700:4700::1111'],
    ['::ffff:8.8.8.8'],
    ['64:ff9b::8.8.8.8'],
    ['2002:808:808::'],
    ['fbff::1'], // just below fc00::/7
    ['fe7f::1'], // just below fe80::/10
  ])('allows the public address %s', (address) => {
    expect(isInternalAddress(address)).toBe(false);
  });

  it('does not judge names, only IP literals', () => {
    expect(isInternalAddress('localhost')).toBe(false);
    expect(isInternalAddress('[::1]')).toBe(false);
  });

  it.each([
    ['0x7f000001', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[0:0:0:0:0:0:0:0]', '::'],
  ])('sees through the numeric form %s once URL parsing normalized it (%s)', (host, normalized) => {
    expect(urlHost(host)).toBe(normalized);
    expect(isInternalAddress(urlHost(host))).toBe(true);
  });
});

describe('isInternalHostName', () => {
  it.each([
    'localhost',
    'localhost.',
    'api.localhost',
    'metadata.google.internal',
    'metadata.google.internal.',
    'printer.local',
    'router.home.arpa',
    'metadata',
    'postgres',
  ])('refuses %s', (host) => {
    expect(isInternalHostName(host)).toBe(true);
  });

  it.each(['hooks.example.com', 'hooks.slack.com', 'localhost.example.com', 'internal.example.com'])(
    'allows %s',
    (host) => {
      expect(isInternalHostName(host)).toBe(false);
    },
  );
});
