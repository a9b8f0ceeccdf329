import { Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Name resolution for outgoing requests, behind a class so that tests can map a name to an address without real
 * DNS. Uses the system resolver (`getaddrinfo`, hosts file included), as a plain HTTP client would.
 */
@Injectable()
export class DnsResolver {
  async resolve(host: string): Promise<ResolvedAddress[]> {
    const addresses = await lookup(host, { all: true, verbatim: true });
    return addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
  }
}
