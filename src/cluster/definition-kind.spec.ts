import { DefinitionKind, kindOfMessage } from './definition-kind';

describe('kindOfMessage', () => {
  it('reads the kind of a `<kind>:<id>` message', () => {
    expect(kindOfMessage('silences:6f1c0d8e-5b8f-4b43-9a35-7c1f0e1d2a3b')).toBe(DefinitionKind.Silences);
    expect(kindOfMessage('api_keys:x')).toBe(DefinitionKind.ApiKeys);
    expect(kindOfMessage('escalation_policies')).toBe(DefinitionKind.EscalationPolicies);
  });

  it('ignores anything else: an unknown kind, an empty or missing payload', () => {
    expect(kindOfMessage('incidents:1')).toBeUndefined();
    expect(kindOfMessage('')).toBeUndefined();
    expect(kindOfMessage(undefined)).toBeUndefined();
  });
});
