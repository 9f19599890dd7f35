// The page's only ways out: /auth for the session, /graphql over HTTP, and /graphql over graphql-transport-ws.
import { createClient } from './vendor/graphql-ws/client.js';

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

// A JSON POST from this origin passes the server's CSRF rule on its own; the preflight header makes it explicit.
const JSON_HEADERS = {
  'Content-Type': 'application/json',
  Accept: 'application/graphql-response+json, application/json',
  'GraphQL-Preflight': '1',
};

let onSessionEnded = () => {};

/** Called once by the app: what to do when the server no longer knows the session (told whether one was held). */
export function whenSessionEnds(handler) {
  onSessionEnded = () => {
    const held = mayHaveSession();
    forgetSession();
    handler(held);
  };
}

// The cookie is HttpOnly, so the page cannot see it. This flag spares a visitor who never signed in here a request
// that can only be refused (and the console error a 401 leaves); a stale flag costs one refused request, no more.
const SIGNED_IN = 'crm.signedIn';

export function mayHaveSession() {
  return localStorage.getItem(SIGNED_IN) === '1';
}

function forgetSession() {
  localStorage.removeItem(SIGNED_IN);
}

const PLAIN = {
  AUTH_NOT_AUTHORIZED: 'Your role does not allow this.',
  CSRF_PREFLIGHT_REQUIRED: 'The request was refused as unsafe. Reload the page and try again.',
  RATE_LIMITED: 'Too many requests at once. Wait a moment and try again.',
};

function plainWords(status, error) {
  const code = error?.extensions?.code;
  if (status === 429) return PLAIN.RATE_LIMITED;
  if (code && PLAIN[code]) return PLAIN[code];
  if (error?.message) return error.message;
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return `The server answered ${status}.`;
}

async function post(url, body) {
  try {
    return await fetch(url, { method: 'POST', headers: JSON_HEADERS, credentials: 'same-origin', body: JSON.stringify(body) });
  } catch {
    throw new ApiError('The server cannot be reached. Check the connection and try again.', 'NETWORK');
  }
}

/** Runs a query or mutation; resolves to its data, or throws an ApiError in words staff can read. */
export async function gql(query, variables = {}) {
  const response = await post('/graphql', { query, variables });
  let body = null;
  try {
    body = await response.json();
  } catch {
    // A proxy's HTML error page, or nothing at all: the status says enough.
  }

  const first = body?.errors?.[0];
  if (response.status === 401 || first?.extensions?.code === 'AUTH_NOT_AUTHENTICATED') {
    onSessionEnded();
    throw new ApiError('Your session has ended. Sign in again.', 'AUTH_NOT_AUTHENTICATED');
  }

  if (first || !response.ok || !body?.data) {
    throw new ApiError(plainWords(response.status, first), first?.extensions?.code ?? `HTTP_${response.status}`);
  }

  return body.data;
}

/** A mutation's payload errors (Hot Chocolate convention) as one sentence, or null when it succeeded. */
export function payloadError(payload) {
  const errors = payload?.errors;
  return errors?.length ? errors.map((e) => e.message ?? e.__typename).join(' ') : null;
}

export async function signIn(email, password) {
  const response = await post('/auth/login', { email, password });
  if (response.status === 401) throw new ApiError('That email and password do not match an active account.', 'AUTH_FAILED');
  if (response.status === 429) throw new ApiError('Too many sign-in attempts. Wait a minute and try again.', 'RATE_LIMITED');
  if (!response.ok) throw new ApiError(plainWords(response.status), `HTTP_${response.status}`);
  localStorage.setItem(SIGNED_IN, '1');
  return response.json();
}

export async function signOut() {
  closeLive();
  forgetSession();
  await post('/auth/logout', {});
}

// ---------------------------------------------------------------------------------------------------------------
// Live updates. The socket authenticates with the session cookie on the upgrade (same origin). Events may be missed
// while it is down, or when the server drops a slow group (EVENTS_DROPPED): then every view refetches what it shows.

let client = null;
const gapListeners = new Set();
// Subscriptions that ended in an error and were made again: they refetch once the new socket is up.
const pendingGaps = new Set();

function liveClient() {
  if (client) return client;
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
  client = createClient({
    url,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    on: {
      connected: (_socket, _payload, wasRetry) => {
        const listeners = wasRetry ? gapListeners : pendingGaps;
        [...listeners].forEach((listener) => listener());
        pendingGaps.clear();
      },
      closed: (event) => {
        // 4403: access refused or lost (signed out elsewhere, role changed): ask the server who we are now.
        if (event?.code === 4403) gql('{ me { role } }').catch(() => {});
      },
    },
  });
  return client;
}

/** Ends the socket (sign-out). */
export function closeLive() {
  client?.dispose();
  client = null;
}

/**
 * Subscribes until the returned function is called. onGap runs whenever events may have been missed: after a
 * reconnect, and after EVENTS_DROPPED (the server then completes the subscription; it is made again at once).
 */
export function subscribe(query, variables, onData, onGap) {
  let stopped = false;
  let stop = () => {};
  gapListeners.add(onGap);
  const start = () => {
    stop = liveClient().subscribe({ query, variables }, {
      next: (result) => {
        if (result.errors?.some((e) => e.extensions?.code === 'EVENTS_DROPPED')) {
          onGap();
        } else if (result.data) {
          onData(result.data);
        }
      },
      // A close the client counts as fatal (1011, a proxy's 1002…) errors the subscription instead of retrying it:
      // events may have been missed all the same.
      error: () => {
        if (stopped) return;
        pendingGaps.add(onGap);
        setTimeout(start, 1000);
      },
      complete: () => {
        if (!stopped) start();
      },
    });
  };
  start();
  return () => {
    stopped = true;
    gapListeners.delete(onGap);
    pendingGaps.delete(onGap);
    stop();
  };
}
