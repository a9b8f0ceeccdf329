import type { Incident } from '../domain';
import {
  EscalationLevel,
  EscalationPolicy,
  formatDelay,
  nextStep,
  raisedSeverity,
  selectPolicy,
} from './escalation-policy';

const level = (overrides: Partial<EscalationLevel> = {}): EscalationLevel => ({
  level: 1,
  delay_minutes: 5,
  targets: [],
  raise_to_severity: null,
  stop_on_ack: true,
  ...overrides,
});

const policy = (overrides: Partial<EscalationPolicy> = {}): EscalationPolicy => ({
  id: overrides.name ?? 'p',
  name: 'p',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  description: '',
  enabled: true,
  severities: [],
  levels: [level()],
  repeat: 0,
  ...overrides,
});

const incident = (severity: Incident['severity']): Incident => ({ severity }) as Incident;

describe('selectPolicy', () => {
  it('prefers a policy naming the severity over a catch-all, whatever their order', () => {
    const catchAll = policy({ name: 'all' });
    const specific = policy({ name: 'p1', severities: ['P1'] });
    expect(selectPolicy([catchAll, specific], incident('P1'))).toBe(specific);
    expect(selectPolicy([catchAll, specific], incident('P3'))).toBe(catchAll);
  });

  it('ignores disabled policies and policies without levels', () => {
    const disabled = policy({ name: 'off', enabled: false });
    const empty = policy({ name: 'empty', levels: [] });
    expect(selectPolicy([disabled, empty], incident('P2'))).toBeUndefined();
  });

  it('takes the oldest (first listed) among equally specific policies', () => {
    const first = policy({ name: 'a', severities: ['P0'] });
    const second = policy({ name: 'b', severities: ['P0'] });
    expect(selectPolicy([first, second], incident('P0'))).toBe(first);
  });
});

describe('nextStep', () => {
  const twoLevels = policy({ levels: [level({ level: 1 }), level({ level: 2 })], repeat: 1 });

  it('moves to the next level, then restarts the sequence while repeats remain, then ends', () => {
    expect(nextStep(twoLevels, 0, 0)).toEqual({ levelIndex: 1, repeatRound: 0 });
    expect(nextStep(twoLevels, 1, 0)).toEqual({ levelIndex: 0, repeatRound: 1 });
    expect(nextStep(twoLevels, 1, 1)).toBeNull();
  });
});

describe('raisedSeverity', () => {
  it('raises only to a more severe level', () => {
    expect(raisedSeverity(level({ raise_to_severity: 'P0' }), 'P2')).toBe('P0');
    expect(raisedSeverity(level({ raise_to_severity: 'P2' }), 'P1')).toBeNull();
    expect(raisedSeverity(level({ raise_to_severity: 'P1' }), 'P1')).toBeNull();
    expect(raisedSeverity(level(), 'P4')).toBeNull();
  });
});

describe('formatDelay', () => {
  it('writes minutes, or seconds below a minute', () => {
    expect(formatDelay(15)).toBe('15 min');
    expect(formatDelay(1.5)).toBe('1.5 min');
    expect(formatDelay(0.005)).toBe('0.3 s');
  });
});
