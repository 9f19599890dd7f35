// The shell: who is signed in, which page the URL's fragment names, the keyboard, and the one render.
import { html, nothing, render } from './vendor/lit-html/lit-html.js';
import { ApiError, gql, mayHaveSession, payloadError, signIn, signOut, whenSessionEnds } from './api.js';
import { canWrite, notify, setRenderer, state, update } from './store.js';
import { VIEWS, inboxView, loadInbox, markUnread, moveSelection, selectedConversation, setView, snooze, snoozeMenu, startInboxLive, stopInboxLive, toggleDone } from './inbox.js';
import { closeThread, focusComposer, onConversationEvent, openThread, threadView } from './thread.js';
import { snoozePresets } from './format.js';
import { confirmDialog, dismissConfirm } from './ui.js';
import { contactsPage } from './contacts.js';
import { campaignsPage } from './campaigns.js';
import { dashboardPage } from './dashboard.js';
import { adminPage } from './admin.js';

// Every page beside the inbox: { name, label, match(path) → params or null, enter(params), view(), allowed() }.
// A page owns its state and its loading; the shell only routes to it and draws the navigation.
const PAGES = [contactsPage, campaignsPage, dashboardPage, adminPage];

const ME = '{ me { id kind email displayName role } }';

// ---------------------------------------------------------------------------------------------------------------
// Routes live in the fragment (#/c/<id>), so the server serves only real files and a deep link always works.

function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const params = Object.fromEntries(new URLSearchParams(query));
  const thread = /^\/c\/(.+)$/.exec(path);
  if (thread) return { name: 'thread', params: { ...params, id: decodeURIComponent(thread[1]) } };
  if (path === '/sign-in') return { name: 'sign-in', params };
  if (path === '/accept-invitation') return { name: 'accept-invitation', params };
  for (const page of PAGES) {
    const matched = page.match(path);
    if (matched) return { name: page.name, page, params: { ...params, ...matched } };
  }

  return { name: 'inbox', params };
}

let returnTo = null;

async function route() {
  const next = parseRoute();
  state.route = next;
  state.help = false;
  state.snooze = null;
  if (next.name === 'sign-in' || next.name === 'accept-invitation') {
    update();
    return;
  }

  if (!state.me && !mayHaveSession()) {
    toSignIn(null);
    return;
  }

  if (!state.me) {
    try {
      state.me = (await gql(ME)).me;
      startInboxLive(onConversationEvent);
    } catch (error) {
      // A 401 has already sent the page to sign-in; anything else is shown there too.
      if (error.code !== 'AUTH_NOT_AUTHENTICATED') toSignIn(error.message);
      return;
    }
  }

  if (next.page) {
    closeThread();
    if (next.page.allowed()) next.page.enter(next.params);
  } else {
    if (next.params.view && VIEWS[next.params.view]) setView(next.params.view);
    if (!state.inbox.items.length && !state.inbox.loading) loadInbox();
    if (next.name === 'thread') openThread(next.params.id);
    else closeThread();
  }

  update();
  if (next.name === 'thread' && next.params.reply) queueMicrotask(focusComposer);
}

function toSignIn(message) {
  if (!['sign-in', 'accept-invitation'].includes(state.route.name)) returnTo = location.hash;
  state.flash = message;
  location.hash = '#/sign-in';
  // Already there, the hash does not change and no route runs: show the message all the same.
  update();
}

whenSessionEnds((held) => {
  const hadSession = held || Boolean(state.me);
  if (!hadSession && state.route.name === 'sign-in') return;
  resetSession();
  toSignIn(hadSession ? 'Your session has ended. Sign in again to carry on.' : null);
});

function resetSession() {
  stopInboxLive();
  closeThread();
  state.me = null;
  Object.assign(state.inbox, { items: [], pageInfo: null, unreadTotal: null, selectedId: null, query: '', results: null, error: null });
}

async function onSignIn(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  state.flash = null;
  state.signInError = null;
  state.busy = true;
  update();
  try {
    await signIn(String(data.get('email')), String(data.get('password')));
    state.busy = false;
    location.hash = returnTo && returnTo !== '#/sign-in' ? returnTo : '#/';
    returnTo = null;
  } catch (error) {
    state.busy = false;
    state.signInError = error instanceof ApiError ? error.message : 'Sign-in failed.';
    update();
  }
}

async function onSignOut() {
  await signOut().catch(() => {});
  resetSession();
  state.flash = 'You are signed out.';
  location.hash = '#/sign-in';
}

async function onAcceptInvitation(event) {
  event.preventDefault();
  const data = new FormData(event.target);
  const password = String(data.get('password'));
  if (password !== String(data.get('confirm'))) {
    state.signInError = 'The two passwords differ.';
    update();
    return;
  }

  state.signInError = null;
  state.busy = true;
  update();
  try {
    const result = await gql(`mutation Accept($input: AcceptInvitationInput!) {
      acceptInvitation(input: $input) { user { email } errors { __typename ... on Error { message } ... on PasswordRejectedError { reasons } } }
    }`, { input: { token: state.route.params.token ?? '', password, displayName: String(data.get('displayName')) || null } });
    const payload = result.acceptInvitation;
    const rejected = payload.errors?.find((e) => e.reasons);
    const error = rejected ? `${rejected.message} ${rejected.reasons.join(' ')}` : payloadError(payload);
    if (error) throw new ApiError(error, 'INVITATION');
    await signIn(payload.user.email, password);
    state.busy = false;
    location.hash = '#/';
  } catch (error) {
    state.busy = false;
    state.signInError = error.message;
    update();
  }
}

// ---------------------------------------------------------------------------------------------------------------

function signInView() {
  return html`<main class="auth" id="main">
    <form class="card" @submit=${onSignIn} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Attack-a-Crack CRM</h1>
      <p>Sign in to read and answer texts.</p>
      ${state.flash ? html`<p class="flash" role="status">${state.flash}</p>` : nothing}
      ${state.signInError ? html`<p class="error" role="alert">${state.signInError}</p>` : nothing}
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit" ?disabled=${state.busy}>${state.busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  </main>`;
}

function acceptInvitationView() {
  return html`<main class="auth" id="main">
    <form class="card" @submit=${onAcceptInvitation} aria-labelledby="invite-title">
      <h1 id="invite-title">Join Attack-a-Crack CRM</h1>
      <p>Choose the name colleagues see and a password: at least 12 characters, with upper and lower case letters and a digit.</p>
      ${state.route.params.token ? nothing : html`<p class="error" role="alert">This link has no invitation in it. Ask for a new one.</p>`}
      ${state.signInError ? html`<p class="error" role="alert">${state.signInError}</p>` : nothing}
      <label for="displayName">Your name</label>
      <input id="displayName" name="displayName" autocomplete="name" required>
      <label for="new-password">Password</label>
      <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="12" required>
      <label for="confirm">Password again</label>
      <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="12" required>
      <button type="submit" ?disabled=${state.busy || !state.route.params.token}>${state.busy ? 'Creating…' : 'Create my account'}</button>
    </form>
  </main>`;
}

const SHORTCUTS = [
  ['j / k', 'Next / previous conversation'],
  ['Enter', 'Open the selected conversation'],
  ['e', 'Done (or reopen)'],
  ['u', 'Mark unread'],
  ['s', 'Snooze…'],
  ['r', 'Reply'],
  ['/', 'Search'],
  ['Ctrl+Enter', 'Send the reply'],
  ['Esc', 'Close, leave a field, back to the list'],
  ['?', 'This list'],
];

function helpDialog() {
  if (!state.help) return nothing;
  return html`<div class="dialog-backdrop" @click=${(e) => { if (e.target === e.currentTarget) { state.help = false; update(); } }}>
    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title">
      <h2 id="help-title">Keyboard shortcuts</h2>
      <dl class="shortcuts">${SHORTCUTS.map(([k, v]) => html`<dt><kbd>${k}</kbd></dt><dd>${v}</dd>`)}</dl>
      <button type="button" class="secondary" @click=${() => { state.help = false; update(); }}>Close <kbd>Esc</kbd></button>
    </div>
  </div>`;
}

function shell(content) {
  const me = state.me;
  return html`<a class="skip" href="#main" @click=${(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
  <header class="top">
    <a class="brand" href="#/">Attack-a-Crack</a>
    <nav aria-label="Sections">
      <a href="#/" aria-current=${state.route.page ? 'false' : 'page'}>Inbox</a>
      ${PAGES.filter((p) => p.allowed()).map((p) => html`<a href=${`#/${p.name}`} aria-current=${state.route.name === p.name ? 'page' : 'false'}>${p.label}</a>`)}
    </nav>
    <span class="spacer"></span>
    <span class="me">${me.displayName} <span class="role">${me.role.toLowerCase()}</span></span>
    <button type="button" class="secondary" @click=${() => { state.help = true; update(); }} aria-label="Keyboard shortcuts">?</button>
    <button type="button" class="secondary" @click=${onSignOut}>Sign out</button>
  </header>
  <main id="main" tabindex="-1" class=${state.route.page ? 'page-main' : `layout ${state.thread ? 'has-thread' : ''}`}>${content}</main>
  ${helpDialog()}
  ${snoozeMenu()}
  ${confirmDialog()}`;
}

function forbiddenView() {
  return html`<section class="page"><h1>Not for your role</h1><p>Ask an admin if you need this page.</p></section>`;
}

function notice() {
  const n = state.notice;
  return html`<div class="notice-region" role="status" aria-live="polite">${n ? html`<p class="notice notice-${n.kind}">${n.text}</p>` : nothing}</div>`;
}

function view() {
  switch (state.route.name) {
    case 'sign-in':
      return signInView();
    case 'accept-invitation':
      return acceptInvitationView();
    case 'loading':
      return html`<p class="boot">Loading…</p>`;
    default:
      if (!state.me) return html`<p class="boot">Loading…</p>`;
      if (state.route.page) return shell(state.route.page.allowed() ? state.route.page.view() : forbiddenView());
      return shell(html`${inboxView()}${state.thread ? threadView() : html`<div class="pane-empty"><p>Pick a conversation, or press <kbd>?</kbd> for the shortcuts.</p></div>`}`);
  }
}

const root = document.getElementById('app');
root.textContent = '';
let scrolledFor = null;
setRenderer(() => {
  render(html`${view()}${notice()}`, root);
  // Keep the newest text in sight when the thread opens or grows while the reader is at the bottom.
  const wrap = document.querySelector('.timeline');
  const thread = state.thread;
  if (wrap && thread) {
    const key = `${thread.id}:${thread.items.length}`;
    if (key !== scrolledFor) {
      const first = !scrolledFor?.startsWith(`${thread.id}:`);
      const nearBottom = wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 200;
      if (first || nearBottom) wrap.scrollTop = wrap.scrollHeight;
      scrolledFor = key;
    }
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Keyboard. Letters act only outside fields; Esc leaves a field, closes a dialog, or goes back to the list.

function inField(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

function onKey(event) {
  if (!state.me || event.altKey || (event.ctrlKey && event.key !== 'Enter') || event.metaKey) return;
  const key = event.key;
  if (key === 'Escape') {
    if (dismissConfirm()) return;
    if (state.help || state.snooze) {
      state.help = false;
      state.snooze = null;
      update();
    } else if (inField(event.target)) {
      if (event.target.id === 'search' && state.inbox.query) {
        state.inbox.query = '';
        state.inbox.results = null;
        update();
      }
      event.target.blur();
    } else if (state.thread) {
      location.hash = `#/?view=${state.inbox.view}`;
    }
    return;
  }

  if (inField(event.target)) return;
  // Enter on a focused link or button is that control's, not the inbox's.
  if (key === 'Enter' && event.target instanceof Element && event.target.closest('a, button, summary, audio')) return;
  if (state.snooze) {
    const preset = snoozePresets().find((p) => p.key === key);
    if (preset) {
      event.preventDefault();
      snooze(state.snooze, preset.until, preset.label);
    }
    return;
  }

  const selected = selectedConversation();
  const act = {
    j: () => moveSelection(1),
    k: () => moveSelection(-1),
    Enter: () => state.inbox.selectedId && (location.hash = `#/c/${encodeURIComponent(state.inbox.selectedId)}`),
    o: () => state.inbox.selectedId && (location.hash = `#/c/${encodeURIComponent(state.inbox.selectedId)}`),
    e: () => toggleDone(selected),
    u: () => markUnread(selected),
    s: () => {
      if (selected && canWrite()) {
        state.snooze = selected;
        update();
      }
    },
    r: () => {
      if (!canWrite() || !state.inbox.selectedId) return;
      if (state.thread?.id === state.inbox.selectedId) focusComposer();
      else location.hash = `#/c/${encodeURIComponent(state.inbox.selectedId)}?reply=1`;
    },
    '/': () => document.getElementById('search')?.focus(),
    '?': () => {
      state.help = !state.help;
      update();
    },
  }[key];
  if (act && !state.route.page) {
    event.preventDefault();
    act();
  } else if (key === '?') {
    event.preventDefault();
    state.help = !state.help;
    update();
  }
}

document.addEventListener('keydown', onKey);
window.addEventListener('hashchange', route);
// Relative times drift: redraw them every half minute.
setInterval(update, 30_000);
window.addEventListener('unhandledrejection', (event) => {
  // Every call site shows its own error; this only keeps an unforeseen one from passing silently.
  notify(event.reason?.message ?? 'Something went wrong.', 'error');
  event.preventDefault();
});
route();
