import type { AppConfig } from '../../config/app-config';
import { ValidationError } from '../../common/api-error';
import { DestinationGuard } from './destination-guard';
import type { ResolvedAddress } from './dns-resolver';

describe('DestinationGuard', () => {
  const resolve = jest.fn<Promise<ResolvedAddress[]>, [string]>();
  const guard = (allowPrivate: boolean, allowedHosts: string[] = []): DestinationGuard =>
    new DestinationGuard({ outgoing: { allowPrivate, allowedHosts } } as unknown as AppConfig, {
      resolve,
    });

  beforeEach(() => resolve.mockReset());

  it('refuses internal literals and names at save time, naming the field, without resolving', () => {
    expect(() => guard(false).assertAllowed('http://0x7f000001:5432/', 'steps.0.action.url')).toThrow(
      ValidationError,
    );
    expect(() => guard(false).assertAllowed('http://metadata.google.internal/', 'url')).toThrow(
      ValidationError,
    );
    expect(() => guard(false).assertAllowed('https://hooks.example.com/', 'url')).not.toThrow();
    expect(resolve).not.toHaveBeenCalled();
  });

  it('exempts the allow-listed hosts, matched exactly after the URL normalized them', () => {
    const allowing = guard(false, ['127.0.0.1', '::ffff:127.0.0.1', 'printer.local']);
    expect(() => allowing.assertAllowed('http://2130706433/', 'url')).not.toThrow();
    expect(() => allowing.assertAllowed('http://[::ffff:7f00:1]/', 'url')).not.toThrow();
    expect(() => allowing.assertAllowed('http://PRINTER.local/', 'url')).not.toThrow();
    expect(() => allowing.assertAllowed('http://scanner.local/', 'url')).toThrow(ValidationError);
    expect(() => allowing.assertAllowed('http://127.0.0.2/', 'url')).toThrow(ValidationError);
  });

  it('allows everything with WEBHOOK_ALLOW_PRIVATE', async () => {
    expect(() => guard(true).assertAllowed('http://169.254.169.254/', 'url')).not.toThrow();
    resolve.mockResolvedValue([{ address: '127.0.0.1', family: 4 }]);
    await expect(guard(true).vet(new URL('http://localhost/'))).resolves.toEqual({
      allowed: true,
      addresses: [{ address: '127.0.0.1', family: 4 }],
    });
  });

  it('vets every resolved address at send time: one internal address refuses the host', async () => {
    resolve.mockResolvedValue([
      { address: '93.184.216.34', family: 4 },
      { address: 'fd00::1', family: 6 },
    ]);
    await expect(guard(false).vet(new URL('https://rebind.example/'))).resolves.toEqual({ allowed: false });
    resolve.mockResolvedValue([{ address: '93.184.216.34', family: 4 }]);
    await expect(guard(false).vet(new URL('https://rebind.example/'))).resolves.toEqual({
      allowed: true,
      addresses: [{ address: '93.184.216.34', family: 4 }],
    });
  });

  it('judges an IP literal host without resolving it', async () => {
    await expect(guard(false).vet(new URL('http://[::ffff:a9fe:a9fe]/'))).resolves.toEqual({
      allowed: false,
    });
    await expect(guard(false).vet(new URL('http://8.8.8.8/'))).resolves.toEqual({
      allowed: true,
      addresses: [{ address: '8.8.8.8', family: 4 }],
    });
    expect(resolve).not.toHaveBeenCalled();
  });
});
