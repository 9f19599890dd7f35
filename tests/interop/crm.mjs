// What the interop tests need from a running server, done the way an integrator would: plain fetch, no CRM code.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') throw new Error(`set ${name} (scripts/test.sh sets it for the interop stage)`);
  return value;
}

export class Timeout extends Error {}

/** Resolves with the promise's value, or rejects after `ms`: a silent server must fail the test, not stall CI. */
export async function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function post(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return res;
}

/** Logs in as the admin and creates an API key: the same steps an operator takes before handing a key out. */
export async function createApiKey(baseUrl, email, password, role = 'VIEWER') {
  const login = await post(`${baseUrl}/auth/login`, { email, password });
  if (!login.ok) throw new Error(`POST /auth/login: ${login.status} ${await login.text()}`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

  const res = await post(
    `${baseUrl}/graphql`,
    {
      query: 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key errors { __typename } } }',
      variables: { input: { name: `interop-${randomUUID()}`, role } },
    },
    { Cookie: cookie, 'GraphQL-Preflight': '1' },
  );
  const body = await res.json();
  const key = body?.data?.createApiKey?.key;
  if (!res.ok || !key) throw new Error(`createApiKey: ${res.status} ${JSON.stringify(body)}`);
  return key;
}

const sample = readFileSync(new URL('../Crm.Tests/Webhooks/payloads/message.received.json', import.meta.url), 'utf8');
let deliveries = 0;

/**
 * A `message.received` delivery from a number the CRM has never seen (so it creates a contact and a conversation),
 * with its own event id, message id and text: every delivery is new work, never a deduplicated redelivery.
 */
export function newMessageReceived() {
  deliveries += 1;
  const payload = JSON.parse(sample);
  const token = randomUUID().replaceAll('-', '');
  const phone = `+1617555${String(1000 + ((process.pid * 97 + deliveries) % 9000)).padStart(4, '0')}`;
  payload.id = `EVinterop${token}`;
  payload.createdAt = new Date().toISOString();
  Object.assign(payload.data.object, {
    id: `ACinterop${token}`,
    from: phone,
    text: `interop ${deliveries} ${token}`,
    createdAt: new Date().toISOString(),
  });
  return { body: JSON.stringify(payload), phone, text: payload.data.object.text, messageId: payload.data.object.id };
}

/** Posts it with OpenPhone's legacy signature: HMAC-SHA256 over `<ms>.<raw body>` with the base64-decoded key. */
export async function postSignedWebhook(baseUrl, signingKey, delivery) {
  const timestamp = Date.now().toString();
  const mac = createHmac('sha256', Buffer.from(signingKey, 'base64')).update(`${timestamp}.${delivery.body}`).digest('base64');
  const res = await post(`${baseUrl}/webhook/openphone`, delivery.body, { 'openphone-signature': `hmac;1;${timestamp};${mac}` });
  if (res.status !== 200) throw new Error(`POST /webhook/openphone: ${res.status} ${await res.text()}`);
  return delivery;
}

/**
 * Posts signed webhooks until `events` yields one that `matches` a posted delivery, within `timeoutMs`.
 *
 * Neither graphql-transport-ws nor graphql-sse acknowledges a subscription, and with Redis the subscribing instance
 * joins the channel asynchronously: a webhook posted right after `subscribe` may precede the subscription and be
 * (correctly) never delivered. So a delivery that gets no event within `resendMs` is followed by a new, distinct
 * one; whatever arrives must still match one of them field by field.
 */
export async function receiveAfterWebhooks(events, deliver, matches, { timeoutMs = 10_000, resendMs = 1_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const sent = [];
  let next = events.next();
  while (Date.now() < deadline) {
    sent.push(await deliver());
    const resendAt = Math.min(Date.now() + resendMs, deadline);
    for (;;) {
      let result;
      try {
        result = await within(Math.max(resendAt - Date.now(), 1), next, 'event');
      } catch (err) {
        if (err instanceof Timeout) break;
        throw err;
      }
      if (result.done) throw new Error('the subscription completed before the event arrived');
      next = events.next();
      if (result.value.errors) throw new Error(`subscription errors: ${JSON.stringify(result.value.errors)}`);
      const delivery = sent.find((d) => matches(result.value.data, d));
      if (delivery) return { data: result.value.data, delivery, webhooks: sent.length };
    }
  }
  throw new Error(`no matching event within ${timeoutMs} ms after ${sent.length} signed webhook(s)`);
}
