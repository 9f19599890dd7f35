// The inbox: conversations by view, live over the socket, search as you type, and the triage actions.
import { html, nothing } from './vendor/lit-html/lit-html.js';
import { repeat } from './vendor/lit-html/directives/repeat.js';
import { gql, payloadError, subscribe } from './api.js';
import { canWrite, notify, state, update } from './store.js';
import { formatPhone, relativeTime, snoozePresets } from './format.js';

export const ROW = `fragment Row on Conversation {
  id unread unreadCount status snoozedUntil lastActivityAt lastActivityKind lastActivityPreview hasMedia
  contact { id displayName phone }
  phoneNumber { id name number }
  lastActivity { id direction status }
}`;

const PAGE = 30;

const snoozedNow = (c) => c.snoozedUntil != null && new Date(c.snoozedUntil) > new Date();

// Each view is the server's filter and the same test on a row, so a live event lands in the right view.
export const VIEWS = {
  unread: { label: 'Unread', where: () => ({ unread: { eq: true } }), has: (c) => c.unread && !snoozedNow(c) },
  open: { label: 'Open', where: () => ({ status: { eq: 'OPEN' } }), has: (c) => c.status === 'OPEN' && !snoozedNow(c) },
  done: { label: 'Done', where: () => ({ status: { eq: 'DONE' } }), has: (c) => c.status === 'DONE' && !snoozedNow(c) },
  snoozed: { label: 'Snoozed', snoozed: true, where: () => ({ snoozedUntil: { gt: new Date().toISOString() } }), has: snoozedNow },
};

const INBOX = `query Inbox($where: ConversationFilterInput, $snoozed: Boolean, $after: String) {
  conversations(first: ${PAGE}, after: $after, where: $where, includeSnoozed: $snoozed) {
    pageInfo { hasNextPage endCursor }
    nodes { ...Row }
  }
  unread: conversations(where: { unread: { eq: true } }) { totalCount }
}
${ROW}`;

const UNREAD = '{ conversations(where: { unread: { eq: true } }) { totalCount } }';

const SEARCH = `query Search($text: String!) {
  search(text: $text, first: 20) {
    nodes {
      __typename
      ... on Contact { id displayName phone conversations(first: 1) { nodes { id lastActivityAt lastActivityPreview } } }
      ... on Activity { id body occurredAt conversationId contact { displayName phone } }
    }
  }
}`;

const LIVE = `subscription Inbox { conversationUpdated { ...Row } }
${ROW}`;

// Live events heard while a load is in flight: its answer may have been read before them, so they are laid over it.
let heardDuringLoad = [];

export async function loadInbox({ more = false } = {}) {
  const inbox = state.inbox;
  if (more && (inbox.loading || !inbox.pageInfo?.hasNextPage)) return;
  const token = ++inbox.token;
  heardDuringLoad = [];
  inbox.loading = true;
  update();
  const view = VIEWS[inbox.view];
  try {
    const data = await gql(INBOX, { where: view.where(), snoozed: Boolean(view.snoozed), after: more ? inbox.pageInfo.endCursor : null });
    if (token !== inbox.token) return;
    const page = data.conversations;
    inbox.items = more ? [...inbox.items, ...page.nodes.filter((n) => !inbox.items.some((c) => c.id === n.id))] : page.nodes;
    inbox.pageInfo = page.pageInfo;
    inbox.unreadTotal = data.unread.totalCount;
    inbox.error = null;
    heardDuringLoad.forEach(place);
    if (!inbox.items.some((c) => c.id === inbox.selectedId) && !state.thread) inbox.selectedId = inbox.items[0]?.id ?? null;
  } catch (error) {
    if (token === inbox.token) inbox.error = error.message;
  } finally {
    if (token === inbox.token) {
      inbox.loading = false;
      update();
    }
  }
}

let countTimer = 0;
function recountUnread() {
  clearTimeout(countTimer);
  countTimer = setTimeout(async () => {
    try {
      state.inbox.unreadTotal = (await gql(UNREAD)).conversations.totalCount;
      update();
    } catch {
      // The badge keeps its last number; the next event or load corrects it.
    }
  }, 300);
}

/** Puts a changed conversation where the current view wants it: at its place by latest activity, or out. */
function place(conversation) {
  const inbox = state.inbox;
  const rest = inbox.items.filter((c) => c.id !== conversation.id);
  const last = rest[rest.length - 1];
  // A row older than everything loaded belongs to a page not fetched yet, unless the list is complete.
  const beyondLoaded = inbox.pageInfo?.hasNextPage && last && conversation.lastActivityAt < last.lastActivityAt;
  if (VIEWS[inbox.view].has(conversation) && !beyondLoaded) {
    const at = rest.findIndex((c) => c.lastActivityAt < conversation.lastActivityAt);
    rest.splice(at < 0 ? rest.length : at, 0, conversation);
  }
  inbox.items = rest;
}

/** A changed conversation, from the socket or a mutation's answer: placed in the list and merged into the open thread. */
export function applyConversation(conversation) {
  if (state.inbox.loading) heardDuringLoad.push(conversation);
  place(conversation);
  const thread = state.thread;
  if (thread?.conversation && thread.id === conversation.id) {
    // The row's contact has fewer fields than the thread's panel: keep the panel's.
    thread.conversation = { ...thread.conversation, ...conversation, contact: { ...thread.conversation.contact, ...conversation.contact } };
  }
  update();
}

let stopLive = null;
let onConversationEvent = () => {};

/** Starts the inbox's subscription once per session; the thread hears about its own conversation through it too. */
export function startInboxLive(onEvent) {
  onConversationEvent = onEvent;
  stopLive ??= subscribe(LIVE, {}, (data) => {
    applyConversation(data.conversationUpdated);
    onConversationEvent(data.conversationUpdated);
    recountUnread();
  }, () => {
    loadInbox();
    onConversationEvent(null);
  });
}

export function stopInboxLive() {
  stopLive?.();
  stopLive = null;
}

export function setView(view) {
  const inbox = state.inbox;
  if (!VIEWS[view] || (inbox.view === view && !inbox.query)) return;
  inbox.view = view;
  inbox.items = [];
  inbox.pageInfo = null;
  inbox.query = '';
  inbox.results = null;
  inbox.selectedId = null;
  loadInbox();
}

let searchTimer = 0;
let searchToken = 0;
export function searchAsYouType(text) {
  const inbox = state.inbox;
  inbox.query = text;
  clearTimeout(searchTimer);
  if (!text.trim()) {
    inbox.results = null;
    update();
    return;
  }

  searchTimer = setTimeout(async () => {
    const token = ++searchToken;
    try {
      const data = await gql(SEARCH, { text: text.trim() });
      if (token !== searchToken || inbox.query !== text) return;
      inbox.results = data.search.nodes.map(searchRow).filter(Boolean);
      inbox.selectedId = inbox.results[0]?.id ?? null;
    } catch (error) {
      if (token === searchToken) inbox.results = { error: error.message };
    }
    update();
  }, 180);
  update();
}

function searchRow(node) {
  if (node.__typename === 'Contact') {
    const conversation = node.conversations.nodes[0];
    return {
      key: `contact-${node.id}`,
      id: conversation?.id ?? null,
      title: node.displayName,
      sub: conversation?.lastActivityPreview ?? 'No conversation yet',
      phone: node.phone,
      at: conversation?.lastActivityAt,
    };
  }

  return {
    key: `activity-${node.id}`,
    id: node.conversationId,
    title: node.contact?.displayName ?? '',
    sub: node.body ?? '',
    phone: node.contact?.phone,
    at: node.occurredAt,
  };
}

/** The rows j/k move through: search results while searching, else the view's conversations. */
export function visibleRows() {
  const { results, items } = state.inbox;
  return Array.isArray(results) ? results.filter((r) => r.id) : items;
}

export function moveSelection(step) {
  const rows = visibleRows();
  if (!rows.length) return;
  const at = rows.findIndex((r) => r.id === state.inbox.selectedId);
  const next = rows[Math.min(rows.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
  state.inbox.selectedId = next.id;
  update();
  queueMicrotask(() => document.querySelector(`[data-row="${CSS.escape(next.id)}"]`)?.scrollIntoView({ block: 'nearest' }));
}

async function mutate(name, inputType, input, success) {
  try {
    const data = await gql(`mutation($input: ${inputType}!) {
      ${name}(input: $input) { conversation { ...Row } errors { __typename ... on Error { message } } }
    }
    ${ROW}`, { input });
    const error = payloadError(data[name]);
    if (error) {
      notify(error, 'error');
      return null;
    }

    const conversation = data[name].conversation;
    applyConversation(conversation);
    if (success) notify(success);
    return conversation;
  } catch (error) {
    notify(error.message, 'error');
    return null;
  }
}

/** The next row to select when the acted-on one leaves the view. */
function neighbour(id) {
  const rows = visibleRows();
  const at = rows.findIndex((r) => r.id === id);
  return rows[at + 1]?.id ?? rows[at - 1]?.id ?? null;
}

export async function toggleDone(conversation) {
  if (!conversation || !canWrite()) return;
  const next = neighbour(conversation.id);
  const done = conversation.status === 'DONE';
  const changed = await mutate('setConversationStatus', 'SetConversationStatusInput', { id: conversation.id, status: done ? 'OPEN' : 'DONE' },
    done ? 'Reopened.' : 'Marked done.');
  if (changed && !VIEWS[state.inbox.view].has(changed) && state.inbox.selectedId === conversation.id) state.inbox.selectedId = next;
}

export const markUnread = (conversation) =>
  conversation && canWrite() && mutate('markConversationUnread', 'ConversationIdInput', { id: conversation.id }, 'Marked unread.');

export const markRead = (conversation) =>
  conversation && canWrite() && mutate('markConversationRead', 'ConversationIdInput', { id: conversation.id });

export async function snooze(conversation, until, label) {
  if (!conversation || !canWrite()) return;
  const next = neighbour(conversation.id);
  state.snooze = null;
  const changed = await mutate('snoozeConversation', 'SnoozeConversationInput', { id: conversation.id, until: until.toISOString() }, `Snoozed: ${label.toLowerCase()}.`);
  if (changed && !VIEWS[state.inbox.view].has(changed) && state.inbox.selectedId === conversation.id) state.inbox.selectedId = next;
}

export const unsnooze = (conversation) =>
  conversation && canWrite() && mutate('unsnoozeConversation', 'ConversationIdInput', { id: conversation.id }, 'Back in the inbox.');

/** The conversation the triage keys act on: the selected row (the open thread is selected while it is open). */
export function selectedConversation() {
  const id = state.inbox.selectedId;
  if (state.thread?.conversation?.id === id) return state.thread.conversation;
  return state.inbox.items.find((c) => c.id === id) ?? null;
}

function onScroll(event) {
  const list = event.currentTarget;
  if (list.scrollTop + list.clientHeight > list.scrollHeight - 300) loadInbox({ more: true });
}

function row(c) {
  const selected = c.id === state.inbox.selectedId;
  const open = c.id === state.thread?.id;
  const name = c.contact.displayName;
  const phone = formatPhone(c.contact.phone);
  return html`<li class="row ${c.unread ? 'unread' : ''} ${selected ? 'selected' : ''}" data-row=${c.id} aria-current=${open ? 'page' : 'false'}>
    <a href="#/c/${encodeURIComponent(c.id)}" class="row-link">
      <span class="row-top">
        <span class="row-name">${name}</span>
        <time class="row-time" datetime=${c.lastActivityAt} title=${new Date(c.lastActivityAt).toLocaleString()}>${relativeTime(c.lastActivityAt)}</time>
      </span>
      <span class="row-bottom">
        <span class="row-preview">${c.lastActivity?.direction === 'OUTGOING' ? 'You: ' : ''}${c.lastActivityPreview ?? ''}</span>
        ${c.unreadCount > 0 ? html`<span class="badge" aria-label="${c.unreadCount} unread">${c.unreadCount}</span>` : nothing}
      </span>
      ${phone && phone !== name ? html`<span class="row-phone">${phone}</span>` : nothing}
      ${c.snoozedUntil && snoozedNow(c) ? html`<span class="row-phone">Snoozed until ${new Date(c.snoozedUntil).toLocaleString()}</span>` : nothing}
    </a>
  </li>`;
}

function resultRow(r) {
  const selected = r.id && r.id === state.inbox.selectedId;
  const content = html`<span class="row-top"><span class="row-name">${r.title}</span>
      <time class="row-time">${relativeTime(r.at)}</time></span>
    <span class="row-bottom"><span class="row-preview">${r.sub}</span></span>
    ${r.phone ? html`<span class="row-phone">${formatPhone(r.phone)}</span>` : nothing}`;
  return html`<li class="row ${selected ? 'selected' : ''}" data-row=${r.id ?? r.key}>
    ${r.id ? html`<a href="#/c/${encodeURIComponent(r.id)}" class="row-link">${content}</a>` : html`<div class="row-link">${content}</div>`}
  </li>`;
}

export function inboxView() {
  const inbox = state.inbox;
  const searching = inbox.results !== null && inbox.query.trim();
  return html`<section class="inbox" aria-label="Inbox">
    <div class="inbox-head">
      <label class="visually-hidden" for="search">Search names, phones and messages</label>
      <input id="search" type="search" placeholder="Search names, phones, messages ( / )" autocomplete="off"
        .value=${inbox.query} @input=${(e) => searchAsYouType(e.target.value)}>
      <nav class="views" aria-label="Views">
        ${Object.entries(VIEWS).map(([key, v]) => html`<a href="#/?view=${key}" class="view ${inbox.view === key && !searching ? 'active' : ''}"
          aria-current=${inbox.view === key && !searching ? 'page' : 'false'}>${v.label}${key === 'unread' && inbox.unreadTotal
            ? html` <span class="badge" aria-label="${inbox.unreadTotal} unread">${inbox.unreadTotal}</span>` : nothing}</a>`)}
      </nav>
    </div>
    ${searching ? searchResults(inbox.results) : html`
      ${inbox.error ? html`<p class="error" role="alert">${inbox.error} <button type="button" @click=${() => loadInbox()}>Try again</button></p>` : nothing}
      <ul class="rows" @scroll=${onScroll} aria-label="${VIEWS[inbox.view].label} conversations" aria-busy=${inbox.loading ? 'true' : 'false'}>
        ${repeat(inbox.items, (c) => c.id, row)}
        ${!inbox.loading && !inbox.error && inbox.items.length === 0 ? html`<li class="empty">Nothing here.</li>` : nothing}
        ${inbox.pageInfo?.hasNextPage ? html`<li class="more"><button type="button" @click=${() => loadInbox({ more: true })}
          ?disabled=${inbox.loading}>${inbox.loading ? 'Loading…' : 'Load more'}</button></li>` : nothing}
        ${inbox.loading && !inbox.items.length ? html`<li class="empty">Loading…</li>` : nothing}
      </ul>`}
  </section>`;
}

function searchResults(results) {
  if (results.error) return html`<p class="error" role="alert">${results.error}</p>`;
  return html`<ul class="rows" aria-label="Search results">
    ${repeat(results, (r) => r.key, resultRow)}
    ${results.length === 0 ? html`<li class="empty">No contact or message matches.</li>` : nothing}
  </ul>`;
}

export function snoozeMenu() {
  const conversation = state.snooze;
  if (!conversation) return nothing;
  return html`<div class="dialog-backdrop" @click=${(e) => { if (e.target === e.currentTarget) { state.snooze = null; update(); } }}>
    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="snooze-title">
      <h2 id="snooze-title">Snooze ${conversation.contact.displayName}</h2>
      <ul class="menu">
        ${snoozePresets().map((p) => html`<li><button type="button" data-snooze=${p.key}
          @click=${() => snooze(conversation, p.until, p.label)}><kbd>${p.key}</kbd> ${p.label}</button></li>`)}
      </ul>
      <button type="button" class="secondary" @click=${() => { state.snooze = null; update(); }}>Cancel <kbd>Esc</kbd></button>
    </div>
  </div>`;
}
