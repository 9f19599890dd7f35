// One conversation: its timeline, live; the composer with its counter and the send gate's word; the contact panel.
import { html, nothing } from './vendor/lit-html/lit-html.js';
import { repeat } from './vendor/lit-html/directives/repeat.js';
import { live } from './vendor/lit-html/directives/live.js';
import { gql, payloadError, subscribe } from './api.js';
import { canWrite, notify, randomKey, state, update } from './store.js';
import { ROW, markRead, toggleDone, unsnooze } from './inbox.js';
import { clockTime, duration, formatPhone, fullTime, money, relativeTime, statusWord } from './format.js';

const ACTIVITY = `fragment Act on Activity {
  id kind direction body status failureReason gateNote segments occurredAt queuedAt sentAt deliveredAt
  media { url type }
  durationSeconds answeredAt missed
  recordings { url type durationSeconds }
  voicemail { url type durationSeconds }
  aiSummary aiNextSteps transcript { speaker text startSeconds }
}`;

const CONTACT = `fragment Panel on Contact {
  id displayName firstName lastName phone email company tags timeZone localTime
  address { street city state postalCode }
  smsConsent { status since source }
  consentHistory(first: 5) { nodes { id status source at evidence actorName note } }
}`;

const PAGE = 30;

const THREAD = `query Thread($id: ID!, $after: String) {
  conversation(id: $id) {
    ...Row
    contact { ...Panel }
    activities(first: ${PAGE}, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...Act } }
  }
}
${ROW}
${CONTACT}
${ACTIVITY}`;

const OLDER = `query Older($id: ID!, $after: String) {
  conversation(id: $id) { activities(first: ${PAGE}, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...Act } } }
}
${ACTIVITY}`;

const LIVE_RECEIVED = `subscription Received($id: ID) { messageReceived(conversationId: $id) { ...Act } }
${ACTIVITY}`;

const LIVE_UPDATED = `subscription Updated($id: ID) { activityUpdated(conversationId: $id) { ...Act } }
${ACTIVITY}`;

const SEGMENTS = `query Segments($body: String!) {
  messageSegments(body: $body) { encoding segments characters remainingInSegment nonGsmCharacters estimatedCost }
}`;

const GATE = `query Gate($contactId: ID!) {
  sendGateCheck(contactId: $contactId, purpose: CONVERSATION) { verdict deferUntil reasons warnings }
}`;

const SEND = `mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { activity { ...Act } warnings errors { __typename ... on Error { message } } }
}
${ACTIVITY}`;

const RETRY = `mutation Retry($input: MessageIdInput!) {
  retryMessage(input: $input) { activity { ...Act } errors { __typename ... on Error { message } } }
}
${ACTIVITY}`;

const CANCEL = `mutation Cancel($input: MessageIdInput!) {
  cancelMessage(input: $input) { activity { ...Act } errors { __typename ... on Error { message } } }
}
${ACTIVITY}`;

/** Oldest first, as a chat reads; the server pages newest first. */
const byTime = (a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0);

function upsert(activity) {
  const thread = state.thread;
  if (!thread) return;
  thread.items = [...thread.items.filter((a) => a.id !== activity.id), activity].sort(byTime);
  update();
}

export async function openThread(id) {
  if (state.thread?.id === id) return;
  closeThread();
  const thread = { id, conversation: null, items: [], pageInfo: null, loading: true, error: null, draft: '', counter: null, gate: null, stops: [] };
  state.thread = thread;
  state.inbox.selectedId = id;
  update();
  await refreshThread();
  if (state.thread !== thread || !thread.conversation) return;
  const gap = () => refreshThread();
  thread.stops.push(subscribe(LIVE_RECEIVED, { id }, (d) => upsert(d.messageReceived), gap));
  thread.stops.push(subscribe(LIVE_UPDATED, { id }, (d) => upsert(d.activityUpdated), gap));
  if (canWrite()) {
    if (thread.conversation.unread) markRead(thread.conversation);
    checkGate();
  }
}

/** The newest page again, merged with what is shown: on open, and whenever events may have been missed. */
async function refreshThread() {
  const thread = state.thread;
  if (!thread) return;
  try {
    const data = await gql(THREAD, { id: thread.id });
    if (state.thread !== thread) return;
    const conversation = data.conversation;
    if (!conversation) {
      thread.error = 'This conversation no longer exists.';
    } else {
      const { activities, ...rest } = conversation;
      thread.conversation = rest;
      const fresh = new Set(activities.nodes.map((a) => a.id));
      thread.items = [...thread.items.filter((a) => !fresh.has(a.id)), ...activities.nodes].sort(byTime);
      thread.pageInfo ??= activities.pageInfo;
      thread.error = null;
    }
  } catch (error) {
    if (state.thread === thread) thread.error = error.message;
  }

  thread.loading = false;
  update();
}

async function loadOlder() {
  const thread = state.thread;
  if (!thread?.pageInfo?.hasNextPage || thread.loadingOlder) return;
  thread.loadingOlder = true;
  update();
  try {
    const data = await gql(OLDER, { id: thread.id, after: thread.pageInfo.endCursor });
    const page = data.conversation.activities;
    thread.items = [...page.nodes.filter((n) => !thread.items.some((a) => a.id === n.id)), ...thread.items].sort(byTime);
    thread.pageInfo = page.pageInfo;
  } catch (error) {
    notify(error.message, 'error');
  }

  thread.loadingOlder = false;
  update();
}

export function closeThread() {
  state.thread?.stops.forEach((stop) => stop());
  state.thread = null;
}

/** From the inbox's subscription: the open conversation changed (or events were missed, conversation null). */
export function onConversationEvent(conversation) {
  const thread = state.thread;
  if (!thread) return;
  if (conversation === null) {
    refreshThread();
  } else if (conversation.id === thread.id && conversation.lastActivity && !thread.items.some((a) => a.id === conversation.lastActivity.id)) {
    // A new call (or anything else no activity event names) landed on the open conversation.
    refreshThread();
  }
}

async function checkGate() {
  const thread = state.thread;
  try {
    const data = await gql(GATE, { contactId: thread.conversation.contact.id });
    if (state.thread === thread) thread.gate = data.sendGateCheck;
  } catch {
    // The gate is asked again when the text is sent; the composer just shows no warning.
  }

  update();
}

let counterTimer = 0;
function onDraft(event) {
  const thread = state.thread;
  thread.draft = event.target.value;
  clearTimeout(counterTimer);
  if (!thread.draft) {
    thread.counter = null;
    update();
    return;
  }

  // The server counts with its own GSM-7/UCS-2 rules and price, so the composer and the bill never disagree.
  counterTimer = setTimeout(async () => {
    const body = thread.draft;
    try {
      const data = await gql(SEGMENTS, { body });
      if (state.thread === thread && thread.draft === body) thread.counter = data.messageSegments;
    } catch {
      thread.counter = null;
    }

    update();
  }, 120);
}

function onComposerKey(event) {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    send();
  } else if (event.key === 'Escape') {
    event.target.blur();
  }
}

export async function send(resend = null) {
  const thread = state.thread;
  if (!thread?.conversation || !canWrite()) return;
  const body = resend?.body ?? thread.draft.trim();
  if (!body) return;
  const key = resend?.key ?? randomKey();
  const pending = { id: `pending-${key}`, key, kind: 'MESSAGE', direction: 'OUTGOING', body, status: 'PENDING', occurredAt: new Date().toISOString(), media: [], pending: true };
  thread.items = [...thread.items.filter((a) => a.id !== pending.id), pending];
  if (!resend) {
    thread.draft = '';
    thread.counter = null;
  }

  update();
  try {
    // The idempotency key makes a retry after a lost answer safe: the server returns the first text, sends nothing.
    const data = await gql(SEND, { input: { conversationId: thread.id, body, idempotencyKey: key } });
    const payload = data.sendMessage;
    const error = payloadError(payload);
    if (error) {
      failPending(thread, pending, error);
      return;
    }

    thread.items = thread.items.filter((a) => a.id !== pending.id);
    upsert(payload.activity);
    if (payload.warnings.length) notify(payload.warnings.join(' '));
  } catch (error) {
    failPending(thread, pending, error.message);
  }
}

function failPending(thread, pending, reason) {
  thread.items = thread.items.map((a) => (a.id === pending.id ? { ...a, status: 'FAILED', failureReason: reason } : a));
  notify(reason, 'error');
  update();
}

/** retryMessage or cancelMessage on one text: the text as changed, or the reason in a notice. */
async function changeText(mutation, name, activity) {
  try {
    const data = await gql(mutation, { input: { id: activity.id } });
    const error = payloadError(data[name]);
    if (error) notify(error, 'error');
    else upsert(data[name].activity);
  } catch (error) {
    notify(error.message, 'error');
  }
}

// A text that never reached the server is sent again under its own idempotency key.
const retry = (activity) => (activity.pending ? send(activity) : changeText(RETRY, 'retryMessage', activity));
const cancel = (activity) => changeText(CANCEL, 'cancelMessage', activity);

export function focusComposer() {
  document.getElementById('composer')?.focus();
}

// ---------------------------------------------------------------------------------------------------------------

function media(items) {
  return items.length ? html`<div class="media">${items.map((m) => (m.type?.startsWith('image/')
    ? html`<a href=${m.url} target="_blank" rel="noopener noreferrer"><img src=${m.url} alt="Picture sent with the text" loading="lazy"></a>`
    : m.type?.startsWith('audio/')
      ? html`<audio controls preload="none" src=${m.url}></audio>`
      : html`<a href=${m.url} target="_blank" rel="noopener noreferrer">Attachment (${m.type ?? 'file'})</a>`))}</div>` : nothing;
}

function outboundStatus(a) {
  const failed = a.status === 'FAILED' || a.status === 'SKIPPED';
  const when = a.status === 'DELIVERED' ? a.deliveredAt : a.status === 'SENT' ? a.sentAt : null;
  return html`<p class="status status-${(a.status ?? '').toLowerCase()}" data-status=${a.status ?? ''}>
    <span>${statusWord(a.status)}${when ? ` ${clockTime(when)}` : ''}</span>
    ${a.segments > 1 ? html`<span> · ${a.segments} segments</span>` : nothing}
    ${failed && a.failureReason ? html`<span class="reason">: ${a.failureReason}</span>` : nothing}
    ${failed && canWrite() ? html`<button type="button" class="link" @click=${() => retry(a)}>Retry</button>` : nothing}
    ${a.status === 'QUEUED' && canWrite() ? html`<button type="button" class="link" @click=${() => cancel(a)}>Cancel</button>` : nothing}
  </p>
  ${a.gateNote ? html`<p class="gate-note">${a.gateNote}</p>` : nothing}`;
}

function message(a) {
  return html`<li class="item msg ${a.direction === 'OUTGOING' ? 'out' : 'in'} ${a.pending ? 'pending' : ''}" data-activity=${a.id}>
    <div class="bubble">
      ${a.body ? html`<p class="body">${a.body}</p>` : nothing}
      ${media(a.media)}
    </div>
    <p class="meta"><time datetime=${a.occurredAt} title=${fullTime(a.occurredAt)}>${relativeTime(a.occurredAt)}</time></p>
    ${a.direction === 'OUTGOING' ? outboundStatus(a) : nothing}
  </li>`;
}

function call(a) {
  const voicemail = a.voicemail;
  const label = a.missed
    ? (voicemail ? 'Voicemail' : 'Missed call')
    : `${a.direction === 'INCOMING' ? 'Incoming' : 'Outgoing'} call${a.durationSeconds != null ? `, ${duration(a.durationSeconds)}` : ''}`;
  return html`<li class="item call ${a.missed ? 'missed' : ''}" data-activity=${a.id}>
    <div class="call-card">
      <p class="call-title">${label}
        <time datetime=${a.occurredAt} title=${fullTime(a.occurredAt)}>${relativeTime(a.occurredAt)}</time></p>
      ${voicemail ? html`<audio controls preload="none" src=${voicemail.url} aria-label="Voicemail"></audio>` : nothing}
      ${a.recordings.map((r) => html`<audio controls preload="none" src=${r.url} aria-label="Call recording"></audio>`)}
      ${a.aiSummary ? html`<details><summary>Summary</summary><p>${a.aiSummary}</p>
        ${a.aiNextSteps.length ? html`<ul>${a.aiNextSteps.map((s) => html`<li>${s}</li>`)}</ul>` : nothing}</details>` : nothing}
      ${a.transcript.length ? html`<details><summary>Transcript</summary><dl class="transcript">
        ${a.transcript.map((t) => html`<dt>${t.speaker ?? 'Speaker'} ${t.startSeconds != null ? duration(t.startSeconds) : ''}</dt><dd>${t.text}</dd>`)}</dl></details>` : nothing}
    </div>
  </li>`;
}

function composer(thread) {
  if (!canWrite()) return html`<p class="read-only">You can read this conversation; your role cannot send texts.</p>`;
  const gate = thread.gate;
  const counter = thread.counter;
  return html`<form class="composer" @submit=${(e) => { e.preventDefault(); send(); }}>
    ${gate && gate.verdict !== 'ALLOW' ? html`<p class="gate gate-${gate.verdict.toLowerCase()}" role="status">
      ${gate.verdict === 'REFUSE' ? 'This text would not be sent: ' : 'This text would wait: '}${gate.reasons.join(' ')}
      ${gate.deferUntil ? ` (until ${fullTime(gate.deferUntil)})` : ''}</p>` : nothing}
    ${gate?.warnings?.length ? html`<p class="gate gate-warn" role="status">${gate.warnings.join(' ')}</p>` : nothing}
    <label for="composer" class="visually-hidden">Reply to ${thread.conversation.contact.displayName}</label>
    <textarea id="composer" rows="3" maxlength="1600" placeholder="Write a reply (r)…  Ctrl+Enter sends"
      .value=${live(thread.draft)} @input=${onDraft} @keydown=${onComposerKey}></textarea>
    <div class="composer-bar">
      <p class="counter" aria-live="polite">${counter ? html`${counter.encoding === 'UCS2' ? 'UCS-2' : 'GSM-7'} · ${counter.segments}
        segment${counter.segments === 1 ? '' : 's'} · ${counter.remainingInSegment} left · ${money(counter.estimatedCost)}
        ${counter.nonGsmCharacters.length ? html`<span class="ucs">(because of ${counter.nonGsmCharacters.join(' ')})</span>` : nothing}` : ''}</p>
      <button type="submit" ?disabled=${!thread.draft.trim()}>Send</button>
    </div>
  </form>`;
}

function consentWords(consent) {
  if (consent.status === 'OPTED_OUT') return `Opted out${consent.since ? ` ${relativeTime(consent.since)}` : ''}`;
  if (consent.status === 'OPTED_IN') return `Opted in${consent.since ? ` ${relativeTime(consent.since)}` : ''}`;
  return 'No consent on record';
}

function contactPanel(contact) {
  const address = [contact.address.street, contact.address.city, contact.address.state, contact.address.postalCode].filter(Boolean).join(', ');
  const wide = matchMedia('(min-width: 1100px)').matches;
  return html`<details class="contact" ?open=${wide}>
    <summary>Contact</summary>
    <dl>
      <dt>Name</dt><dd>${contact.displayName}</dd>
      ${contact.phone ? html`<dt>Phone</dt><dd><a href="tel:${contact.phone}">${formatPhone(contact.phone)}</a></dd>` : nothing}
      ${contact.email ? html`<dt>Email</dt><dd>${contact.email}</dd>` : nothing}
      ${contact.company ? html`<dt>Company</dt><dd>${contact.company}</dd>` : nothing}
      ${address ? html`<dt>Address</dt><dd>${address}</dd>` : nothing}
      <dt>Local time</dt><dd>${new Date(contact.localTime).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit', timeZone: contact.timeZone })} (${contact.timeZone})</dd>
      <dt>Tags</dt><dd>${contact.tags.length ? html`<ul class="tags">${contact.tags.map((t) => html`<li>${t}</li>`)}</ul>` : 'None'}</dd>
      <dt>Texts</dt><dd class="consent consent-${contact.smsConsent.status.toLowerCase()}">${consentWords(contact.smsConsent)}</dd>
    </dl>
    ${contact.consentHistory.nodes.length ? html`<h3>Consent history</h3><ol class="history">
      ${contact.consentHistory.nodes.map((e) => html`<li><strong>${e.status === 'OPTED_OUT' ? 'Opted out' : 'Opted in'}</strong>
        ${fullTime(e.at)} · ${e.source.toLowerCase().replace('_', ' ')}${e.actorName ? ` · ${e.actorName}` : ''}
        ${e.evidence ? html`<q>${e.evidence}</q>` : nothing}${e.note ? html` <em>${e.note}</em>` : nothing}</li>`)}</ol>` : nothing}
    <p><a href="#/contacts/${encodeURIComponent(contact.id)}">${canWrite() ? 'Edit' : 'Contact page'}</a></p>
  </details>`;
}

function actions(c) {
  if (!canWrite()) return nothing;
  const snoozed = c.snoozedUntil && new Date(c.snoozedUntil) > new Date();
  return html`<div class="actions">
    <button type="button" @click=${() => toggleDone(c)} title="e">${c.status === 'DONE' ? 'Reopen' : 'Done'}</button>
    ${snoozed
      ? html`<button type="button" @click=${() => unsnooze(c)}>Unsnooze</button>`
      : html`<button type="button" @click=${() => { state.snooze = c; update(); }} title="s">Snooze</button>`}
  </div>`;
}

export function threadView() {
  const thread = state.thread;
  if (!thread) return nothing;
  if (thread.error && !thread.conversation) return html`<section class="thread"><p class="error" role="alert">${thread.error}</p></section>`;
  if (!thread.conversation) return html`<section class="thread" aria-busy="true"><p class="empty">Loading…</p></section>`;
  const c = thread.conversation;
  return html`<section class="thread" aria-label="Conversation with ${c.contact.displayName}">
    <header class="thread-head">
      <a class="back" href="#/?view=${state.inbox.view}" aria-label="Back to the inbox">‹</a>
      <div class="who">
        <h2>${c.contact.displayName}</h2>
        <p>${formatPhone(c.contact.phone)}${c.phoneNumber.name ? ` · on ${c.phoneNumber.name}` : ''}</p>
      </div>
      ${actions(c)}
    </header>
    <div class="thread-body">
      <div class="timeline-wrap">
        ${thread.pageInfo?.hasNextPage ? html`<button type="button" class="older" @click=${loadOlder} ?disabled=${thread.loadingOlder}>
          ${thread.loadingOlder ? 'Loading…' : 'Show older'}</button>` : nothing}
        <ol class="timeline" aria-label="Timeline">
          ${repeat(thread.items, (a) => a.id, (a) => (a.kind === 'CALL' ? call(a) : message(a)))}
        </ol>
        ${composer(thread)}
      </div>
      ${contactPanel(c.contact)}
    </div>
  </section>`;
}
