import { SequenceGate } from './sequence-gate';

describe('SequenceGate', () => {
  it('accepts increasing sequences and drops any at or below the last one seen', () => {
    const gate = new SequenceGate();
    const delivered = [3, 4, 4, 2, 5, 5, 9, 7].filter((sequence) => gate.accept(sequence));
    expect(delivered).toEqual([3, 4, 5, 9]);
    expect(gate.dropped).toBe(4);
    expect(gate.lastSequence).toBe(9);
  });

  it('drops what a position already covers, and never moves back when advanced', () => {
    const gate = new SequenceGate();
    gate.advanceTo(10);
    gate.advanceTo(8);
    expect(gate.lastSequence).toBe(10);
    expect(gate.accept(10)).toBe(false);
    expect(gate.accept(11)).toBe(true);
  });

  it('moves back when reset (a snapshot or a log that was reset)', () => {
    const gate = new SequenceGate();
    gate.accept(50);
    gate.resetTo(5);
    expect(gate.accept(6)).toBe(true);
  });
});
