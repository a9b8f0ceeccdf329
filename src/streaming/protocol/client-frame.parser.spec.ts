import { parseClientFrame } from './client-frame.parser';

const text = (s: string) => parseClientFrame(Buffer.from(s), false);

describe('parseClientFrame', () => {
  it('routes a message to the handler of its type, with the whole object as body', () => {
    expect(text('{"type":"ping","timestamp":"2025-01-01T00:00:00Z"}')).toEqual({
      event: 'ping',
      data: { type: 'ping', timestamp: '2025-01-01T00:00:00Z' },
    });
  });

  it('accepts fragmented data', () => {
    expect(parseClientFrame([Buffer.from('{"type":'), Buffer.from('"ack"}')], false)).toEqual({
      event: 'ack',
      data: { type: 'ack' },
    });
  });

  it.each([
    ['{"type":', 'invalid JSON'],
    ['"ping"', 'JSON object'],
    ['[]', 'JSON object'],
    ['null', 'JSON object'],
    ['{}', 'missing field `type`'],
    ['{"type":"Ping"}', 'unknown message type "Ping"'],
    ['{"type":["ping"]}', 'unknown message type'],
    [
      '{"type":"subscribe","filters":{"__proto__":{"severities":["P0"]}}}',
      'filters has the reserved key "__proto__"',
    ],
    ['{"type":"subscribe","filters":{"constructor":{}}}', 'filters has the reserved key "constructor"'],
    [
      '{"type":"subscribe","filters":{"labels":{"prototype":"x"}}}',
      'filters.labels has the reserved key "prototype"',
    ],
    ['{"__proto__":{},"type":"ping"}', 'the message has the reserved key "__proto__"'],
    ['{"type":"subscribe","subscription_id":"a\\u0000"}', 'subscription_id must not contain a NUL character'],
    [`{"type":"ack","x":${'['.repeat(40)}${']'.repeat(40)}}`, 'nested deeper than 32 levels'],
  ])('routes %s to the invalid-frame handler with the reason', (frame, reason) => {
    const parsed = text(frame);
    expect(parsed.event).toBe('invalid_frame');
    expect(parsed.data).toEqual(expect.stringContaining(reason));
  });

  it('routes a binary frame to the binary-frame handler', () => {
    expect(parseClientFrame(Buffer.from('{"type":"ping"}'), true)).toEqual({
      event: 'binary_frame',
      data: null,
    });
  });
});
