import { createHash } from 'node:crypto';
import { alertFingerprint } from './fingerprint';

describe('alertFingerprint', () => {
  it('is the SHA-256 of source, type, title and each service concatenated in order', () => {
    const expected = createHash('sha256').update('promPerformanceCPU highapiworker').digest('hex');
    expect(alertFingerprint('prom', 'Performance', 'CPU high', ['api', 'worker'])).toBe(expected);
  });

  it('depends on the order of services', () => {
    expect(alertFingerprint('s', 'Data', 't', ['a', 'b'])).not.toBe(
      alertFingerprint('s', 'Data', 't', ['b', 'a']),
    );
  });
});
