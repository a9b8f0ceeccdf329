import { publish, systemEvent } from './support/publish';
import { WsTestClient, closeAll } from './support/ws-test-client';
import { TestApp, startTestApp } from './support/test-app';

const INVALID_PREFIX = 'Failed to process message: ';

/** A subscribe frame as raw JSON: `filters` is spliced in as written, so `__proto__` stays a key. */
const subscribeFrame = (filters: string): string =>
  `{"type":"subscribe","subscription_id":"x","filters":${filters}}`;

describe('WebSocket subscribe with reserved keys or NUL characters', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterEach(async () => {
    await closeAll(clients.splice(0));
  });

  afterAll(async () => {
    await t.cleanup();
  });

  // Before: class-transformer dropped these keys, and each frame was answered `subscribed` to everything.
  it.each([
    ['a __proto__ filter key', '{"__proto__":{"severities":["P0"]}}'],
    ['a constructor filter key', '{"constructor":{"severities":["P0"]}}'],
    ['a prototype filter key', '{"prototype":{"severities":["P0"]}}'],
    ['a __proto__ label key', '{"labels":{"__proto__":{"env":"prod"}}}'],
    ['a constructor label key', '{"labels":{"constructor":"x"}}'],
    ['a prototype label key', '{"labels":{"prototype":"x"}}'],
    ['a NUL character in a label value', '{"labels":{"env":"\\u0000"}}'],
  ])('answers %s with INVALID_MESSAGE and subscribes nothing', async (_name, filters) => {
    const client = await WsTestClient.connect(t.wsUrl);
    clients.push(client);
    const reply = await client.request(subscribeFrame(filters));
    expect(reply).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    expect(reply.message).toMatch(new RegExp(`^${INVALID_PREFIX}filters`));
    expect(await client.request({ type: 'unsubscribe', subscription_id: 'x' })).toMatchObject({
      code: 'NOT_FOUND',
    });
    await publish(t.app, systemEvent('after a rejected subscription'), null);
    await client.expectNothingPending();
  });
});
