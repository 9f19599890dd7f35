// The standard npm clients against a running server (issue #5). scripts/test.sh starts two instances on one
// PostgreSQL and Redis: webhooks go to CRM_URL, subscriptions to CRM_SUBSCRIBE_URL, so every event crosses Redis.
//
//   CRM_URL, CRM_SUBSCRIBE_URL (default CRM_URL), CRM_SIGNING_KEY (a legacy base64 webhook key of the server),
//   CRM_API_KEY, or CRM_ADMIN_EMAIL + CRM_ADMIN_PASSWORD to create one.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient, NetworkError } from 'graphql-sse';
import { auditServer } from 'graphql-http';
import WebSocket from 'ws';
import { createApiKey, env, newMessageReceived, postSignedWebhook, receiveAfterWebhooks, within } from './crm.mjs';

const webhookUrl = env('CRM_URL').replace(/\/$/, '');
const subscribeUrl = env('CRM_SUBSCRIBE_URL', webhookUrl).replace(/\/$/, '');
const signingKey = env('CRM_SIGNING_KEY');
// Every wait is bounded, so a hang fails the test instead of stalling CI. An event may take longer than a step: the
// first subscription on a fresh instance is cold (JIT, Redis SUBSCRIBE), and CI machines are shared.
const STEP_MS = 10_000;
const EVENT_MS = 20_000;
const TEST = { timeout: 45_000 };

const deliver = () => postSignedWebhook(webhookUrl, signingKey, newMessageReceived());

let apiKey;
before(async () => {
  apiKey = process.env.CRM_API_KEY || (await createApiKey(webhookUrl, env('CRM_ADMIN_EMAIL'), env('CRM_ADMIN_PASSWORD')));
  // Warm both fresh instances (webhook processing on A, GraphQL on B) so that the first event's wait measures the
  // clients, not the JIT; this also proves the signing key before any subscription depends on it.
  await deliver();
  const res = await fetch(`${subscribeUrl}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query: '{ __typename }' }),
    signal: AbortSignal.timeout(STEP_MS),
  });
  assert.equal(res.status, 200, `warm-up query on ${subscribeUrl}`);
}, { timeout: 60_000 });

const MESSAGE_RECEIVED = `subscription {
  messageReceived { id kind direction body fromNumber openPhoneId conversationId contact { phone } }
}`;
const sameMessage = (data, d) => data?.messageReceived?.openPhoneId === d.messageId;

function assertMessage(activity, delivery) {
  assert.equal(activity.kind, 'MESSAGE');
  assert.equal(activity.direction, 'INCOMING');
  assert.equal(activity.body, delivery.text);
  assert.equal(activity.fromNumber, delivery.phone);
  assert.equal(activity.contact?.phone, delivery.phone);
  assert.ok(activity.id && activity.conversationId, 'global ids');
}

// Subscribes with either client, receives the message a signed webhook caused, and completes: the iterator must
// finish (the client sent `complete` or closed the request), not hang.
async function receiveMessageThenComplete(client, t) {
  const events = client.iterate({ query: MESSAGE_RECEIVED });
  const { data, delivery, webhooks } = await receiveAfterWebhooks(events, deliver, sameMessage, { timeoutMs: EVENT_MS });
  assertMessage(data.messageReceived, delivery);
  t.diagnostic(`event after ${webhooks} webhook(s)`);
  assert.deepEqual(await within(STEP_MS, events.return(), 'complete'), { done: true, value: undefined });
}

function wsClient(connectionParams, closes = []) {
  return createWsClient({
    url: `${subscribeUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0, // a silent reconnect would hide a dropped connection
    on: { closed: (event) => closes.push(event) },
  });
}

test('graphql-ws: messageReceived for a signed webhook posted to the other instance', TEST, async (t) => {
  const closes = [];
  const client = wsClient({ apiKey }, closes);
  try {
    await receiveMessageThenComplete(client, t);
  } finally {
    await client.dispose();
  }
  await waitFor(() => closes.length > 0, 'the socket to close');
  assert.equal(closes[0].code, 1000, 'a normal closure after dispose');
});

test('graphql-ws: conversationUpdated and a query on the same socket', TEST, async () => {
  const client = wsClient({ authorization: `Bearer ${apiKey}` });
  try {
    // Over graphql-transport-ws a query is one `next` then `complete`: the iterator ends by itself.
    const results = [];
    for await (const r of client.iterate({ query: '{ __typename }' })) results.push(r);
    assert.deepEqual(results, [{ data: { __typename: 'Query' } }]);

    const events = client.iterate({
      query: 'subscription { conversationUpdated { id unread lastActivityPreview contact { phone } } }',
    });
    const { data, delivery } = await receiveAfterWebhooks(
      events,
      deliver,
      (d, sent) => d?.conversationUpdated?.contact?.phone === sent.phone,
      { timeoutMs: EVENT_MS },
    );
    assert.equal(data.conversationUpdated.unread, true);
    assert.match(data.conversationUpdated.lastActivityPreview ?? '', new RegExp(delivery.text.split(' ').pop()));
    await within(STEP_MS, events.return(), 'complete');
  } finally {
    await client.dispose();
  }
});

test('graphql-ws: a bad key is refused with close 4403', TEST, async () => {
  const closes = [];
  const client = wsClient({ apiKey: 'crm_0000000000000000_not-a-key' }, closes);
  try {
    const events = client.iterate({ query: MESSAGE_RECEIVED });
    const err = await within(STEP_MS, events.next().then(() => null, (e) => e), 'refusal');
    assert.equal(err?.code, 4403, `expected the CloseEvent 4403, got ${err}`);
    assert.equal(closes[0]?.code, 4403);
  } finally {
    await client.dispose();
  }
});

test('graphql-sse: messageReceived for a signed webhook posted to the other instance', TEST, async (t) => {
  const client = createSseClient({
    url: `${subscribeUrl}/graphql`,
    headers: { Authorization: `Bearer ${apiKey}` },
    retryAttempts: 0,
  });
  try {
    await receiveMessageThenComplete(client, t);
  } finally {
    client.dispose();
  }
});

test('graphql-sse: a bad key is refused before the stream', TEST, async () => {
  const client = createSseClient({
    url: `${subscribeUrl}/graphql`,
    headers: { Authorization: 'Bearer crm_0000000000000000_not-a-key' },
    retryAttempts: 0,
  });
  try {
    const err = await within(STEP_MS, client.iterate({ query: MESSAGE_RECEIVED }).next().then(() => null, (e) => e), 'refusal');
    assert.ok(err instanceof NetworkError, `expected a NetworkError, got ${err}`);
    assert.equal(err.response?.status, 401);
  } finally {
    client.dispose();
  }
});

test('graphql-http: the GraphQL-over-HTTP audit has no errors', TEST, async (t) => {
  const fetchFn = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${apiKey}`);
    return fetch(input, { ...init, headers, signal: AbortSignal.timeout(STEP_MS) });
  };
  const results = await auditServer({ url: `${webhookUrl}/graphql`, fetchFn });
  const count = (status) => results.filter((r) => r.status === status).length;
  t.diagnostic(`graphql-http audit: ${count('ok')} ok, ${count('warn')} warnings, ${count('error')} errors`);
  for (const r of results.filter((r) => r.status === 'warn')) t.diagnostic(`warning: ${r.name}: ${r.reason}`);
  const errors = results.filter((r) => r.status === 'error').map((r) => `${r.name}: ${r.reason}`);
  assert.deepEqual(errors, []);
  assert.ok(count('ok') > 0, 'the audit ran');
});

async function waitFor(condition, what) {
  for (const deadline = Date.now() + STEP_MS; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`timed out after ${STEP_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
