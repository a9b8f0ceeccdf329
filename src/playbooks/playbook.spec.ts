import type { Incident } from '../domain';
import { IncidentMatcher, matches, oneLevelUp } from './playbook';

const incident = {
  severity: 'P1',
  incident_type: 'Application',
  source: 'prometheus',
  state: 'Detected',
  labels: { env: 'prod', team: 'payments' },
} as unknown as Incident;

const matcher = (overrides: Partial<IncidentMatcher> = {}): IncidentMatcher => ({
  severities: [],
  incident_types: [],
  sources: [],
  states: [],
  labels: {},
  ...overrides,
});

describe('matches', () => {
  it('matches everything when every key is empty', () => {
    expect(matches(matcher(), incident)).toBe(true);
  });

  it.each<[string, Partial<IncidentMatcher>, boolean]>([
    ['severity in the list', { severities: ['P0', 'P1'] }, true],
    ['severity not in the list', { severities: ['P0'] }, false],
    ['type', { incident_types: ['Security'] }, false],
    ['source', { sources: ['prometheus'] }, true],
    ['state', { states: ['Triaged'] }, false],
    ['every label pair present', { labels: { env: 'prod', team: 'payments' } }, true],
    ['one label pair differs', { labels: { env: 'prod', team: 'search' } }, false],
    ['all keys together (AND)', { severities: ['P1'], sources: ['grafana'] }, false],
  ])('%s', (_what, overrides, expected) => {
    expect(matches(matcher(overrides), incident)).toBe(expected);
  });
});

describe('oneLevelUp', () => {
  it('raises by one level and keeps P0', () => {
    expect(oneLevelUp('P3')).toBe('P2');
    expect(oneLevelUp('P1')).toBe('P0');
    expect(oneLevelUp('P0')).toBe('P0');
  });
});
