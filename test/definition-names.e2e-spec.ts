import request from 'supertest';
import { describeOnEachStore } from './support/stores';
import { TestApp, startTestApp } from './support/test-app';

/** A valid definition of each kind, all named `name`. */
const kinds = [
  {
    path: '/v1/escalation-policies',
    body: (name: string) => ({ name, levels: [{ level: 1, delay_minutes: 5 }] }),
  },
  {
    path: '/v1/playbooks',
    body: (name: string) => ({ name, steps: [{ action: { type: 'wait', seconds: 1 } }] }),
  },
  {
    path: '/v1/notification-channels',
    body: (name: string) => ({ name, type: 'webhook', url: 'http://127.0.0.1:9/hook' }),
  },
];

const CONCURRENT = 50;

describeOnEachStore('definition names are unique', (store) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ...store.overrides(), HTTP_RATE_LIMIT_PER_SECOND: '0' });
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it.each(kinds.map((k) => [k.path, k] as const))(
    '%s: a taken name is 409 CONFLICT, on create and on replace',
    async (path, kind) => {
      await request(t.baseUrl).post(path).send(kind.body('taken')).expect(201);
      const other = (await request(t.baseUrl).post(path).send(kind.body('other')).expect(201)).body;
      for (const res of [
        await request(t.baseUrl).post(path).send(kind.body('taken')),
        await request(t.baseUrl).put(`${path}/${other.id}`).send(kind.body('taken')),
      ]) {
        expect({ status: res.status, body: res.body }).toEqual({
          status: 409,
          body: {
            error: {
              code: 'CONFLICT',
              message: expect.stringMatching(/"taken" already exists/),
              status: 409,
            },
          },
        });
      }
    },
  );

  it.each(kinds.map((k) => [k.path, k] as const))(
    `%s: ${CONCURRENT} concurrent creations of one name are one 201 and 409s, never a 500`,
    async (path, kind) => {
      const name = `race-${store.name}`;
      const answers = await Promise.all(
        Array.from({ length: CONCURRENT }, () => request(t.baseUrl).post(path).send(kind.body(name))),
      );
      const statuses = answers.map((res) => res.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(CONCURRENT - 1);
      for (const res of answers.filter((r) => r.status === 409)) expect(res.body.error.code).toBe('CONFLICT');
      const listed = (await request(t.baseUrl).get(path).expect(200)).body as Record<
        string,
        { name: string }[]
      >;
      expect(Object.values(listed)[0].filter((d) => d.name === name)).toHaveLength(1);
    },
  );
});
