// The admin section: staff and invitations, API keys, the opt-out review queue, the webhook log, the audit log and
// import jobs. One tab at a time, each its own fragment (#/admin/keys …), each loading only what it shows.
import { html, nothing } from './vendor/lit-html/lit-html.js';
import { gql, payloadError } from './api.js';
import { isAdmin, notify, state, update } from './store.js';
import { formatPhone, fullTime, relativeTime } from './format.js';
import { confirmAction, field, more, status } from './ui.js';

const ERRORS = 'errors { __typename ... on Error { message } }';
const ROLES = [['VIEWER', 'Viewer: reads'], ['MARKETER', 'Marketer: texts, contacts, campaigns'], ['ADMIN', 'Admin: everything']];
const when = (iso) => (iso ? html`<time datetime=${iso} title=${fullTime(iso)}>${relativeTime(iso)}</time>` : 'never');

/** A tab: its label, the connection it lists (with the variables the tab's filters give), and how a row reads. */
const TABS = {
  staff: {
    label: 'Staff',
    query: `query($after: String) { users(first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { id email displayName role isActive lastLoginAt } } }`,
    list: (d) => d.users,
  },
  keys: {
    label: 'API keys',
    query: `query($after: String) { apiKeys(first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { id name role prefix createdAt lastUsedAt revokedAt } } }`,
    list: (d) => d.apiKeys,
  },
  'opt-outs': {
    label: 'Opt-out reviews',
    filters: { status: 'PENDING' },
    query: `query($after: String, $where: OptOutReviewFilterInput) { optOutReviews(first: 50, after: $after, where: $where) {
      pageInfo { hasNextPage endCursor } nodes { id status score reason createdAt resolvedAt resolvedBy contact { id displayName phone } activity { body } } } }`,
    variables: (f) => ({ where: f.status ? { status: { eq: f.status } } : null }),
    list: (d) => d.optOutReviews,
  },
  webhooks: {
    label: 'Webhook log',
    filters: { status: '', type: '' },
    query: `query($after: String, $status: WebhookEventStatus, $type: String) { webhookEvents(first: 50, after: $after, status: $status, type: $type) {
      pageInfo { hasNextPage endCursor } nodes { id eventId type status attempts lastError receivedAt processedAt } } }`,
    variables: (f) => ({ status: f.status || null, type: f.type || null }),
    list: (d) => d.webhookEvents,
  },
  audit: {
    label: 'Audit log',
    filters: { action: '' },
    query: `query($after: String, $action: String) { auditLog(first: 50, after: $after, action: $action) {
      pageInfo { hasNextPage endCursor } nodes { id at action actorKind actorName target details ipAddress } } }`,
    variables: (f) => ({ action: f.action || null }),
    list: (d) => d.auditLog,
  },
  imports: {
    label: 'Import jobs',
    query: `query($after: String) { importJobs(first: 50, after: $after) { pageInfo { hasNextPage endCursor }
      nodes { id kind status phase total done failed createdAt finishedAt startedBy failureReason cancelRequested reportUrl } } }`,
    list: (d) => d.importJobs,
  },
};

const admin = () => (state.admin ??= { tab: 'staff', items: [], pageInfo: null, filters: {}, shown: null });

async function load(append = false) {
  const a = admin();
  const tab = TABS[a.tab];
  a.loading = true;
  a.error = null;
  update();
  try {
    const variables = { ...(tab.variables?.(a.filters) ?? {}), after: append ? a.pageInfo?.endCursor : null };
    const connection = tab.list(await gql(tab.query, variables));
    a.items = append ? [...a.items, ...connection.nodes] : connection.nodes;
    a.pageInfo = connection.pageInfo;
  } catch (error) {
    a.error = error.message;
  }

  a.loading = false;
  update();
}

function enter(params) {
  const a = admin();
  const tab = TABS[params.tab] ? params.tab : 'staff';
  if (tab !== a.tab) Object.assign(a, { tab, items: [], pageInfo: null, shown: null, formErrors: null });
  a.filters = { ...(TABS[tab].filters ?? {}), ...Object.fromEntries(Object.keys(TABS[tab].filters ?? {}).filter((k) => k in params).map((k) => [k, params[k]])) };
  load();
}

/** Runs a mutation, says what happened, and reloads the tab; resolves to the payload, or null when it failed. */
async function act(mutation, variables, name, done) {
  try {
    const payload = (await gql(mutation, variables))[name];
    const error = payloadError(payload);
    if (error) {
      notify(error, 'error');
      return null;
    }

    if (done) notify(done);
    await load();
    return payload;
  } catch (error) {
    notify(error.message, 'error');
    return null;
  }
}

function setFilters(event) {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(event.target));
  const query = new URLSearchParams(Object.entries(data).filter(([, v]) => v)).toString();
  location.hash = `#/admin/${admin().tab}${query ? `?${query}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------

async function invite(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  const a = admin();
  a.formErrors = null;
  const payload = await act(
    `mutation($input: InviteUserInput!) { inviteUser(input: $input) { invitation { email role expiresAt } inviteLink ${ERRORS} } }`,
    { input: { email: String(data.get('email')), role: String(data.get('role')) } },
    'inviteUser');
  if (payload) {
    a.shown = { title: `Invitation for ${payload.invitation.email}`, secret: payload.inviteLink, note: `Send this link to them; it works once, until ${fullTime(payload.invitation.expiresAt)}.` };
    form.reset();
    update();
  }
}

function setUser(user, change, done) {
  return act(`mutation($input: UpdateUserInput!) { updateUser(input: $input) { user { id } ${ERRORS} } }`, { input: { id: user.id, ...change } }, 'updateUser', done);
}

function staffView(a) {
  return html`
    <form class="inline-form" @submit=${invite} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      ${field({ id: 'invite-email', name: 'email', label: 'Email', type: 'email', required: true, attrs: { autocomplete: 'off' } })}
      ${field({ id: 'invite-role', name: 'role', label: 'Role', type: 'select', value: 'VIEWER', options: ROLES })}
      <button type="submit">Send invitation</button>
    </form>
    <div class="table-wrap"><table class="table"><caption class="visually-hidden">Staff</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Active</th><th scope="col">Last sign-in</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${a.items.map((u) => {
        const self = u.id === state.me?.id;
        return html`<tr>
          <td>${u.displayName}</td><td>${u.email}</td>
          <td><label class="visually-hidden" for=${`role-${u.id}`}>Role of ${u.displayName}</label>
            <select id=${`role-${u.id}`} ?disabled=${self} @change=${(e) => setUser(u, { role: e.target.value }, `${u.displayName} is now ${e.target.value.toLowerCase()}.`)}>
              ${ROLES.map(([v]) => html`<option value=${v} ?selected=${v === u.role}>${v.toLowerCase()}</option>`)}</select></td>
          <td>${u.isActive ? 'yes' : 'no'}</td><td>${when(u.lastLoginAt)}</td>
          <td>${self ? html`<span class="hint">you</span>` : u.isActive
            ? html`<button type="button" class="secondary" @click=${async () => {
              if (await confirmAction(`Deactivate ${u.displayName}?`, 'They are signed out everywhere at once and cannot sign in until reactivated.', 'Deactivate')) {
                setUser(u, { isActive: false }, `${u.displayName} is deactivated.`);
              }
            }}>Deactivate</button>`
            : html`<button type="button" class="secondary" @click=${() => setUser(u, { isActive: true }, `${u.displayName} is active again.`)}>Reactivate</button>`}</td>
        </tr>`;
      })}</tbody></table></div>`;
}

async function createKey(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  const payload = await act(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id name } ${ERRORS} } }`,
    { input: { name: String(data.get('name')), role: String(data.get('role')) } },
    'createApiKey');
  if (payload) {
    admin().shown = { title: `Key “${payload.apiKey.name}”`, secret: payload.key, note: 'Copy it now: it is shown this once and never again. Send it as Authorization: Bearer <key>.' };
    form.reset();
    update();
  }
}

function keysView(a) {
  return html`
    <form class="inline-form" @submit=${createKey} aria-labelledby="key-title">
      <h2 id="key-title">New key</h2>
      ${field({ id: 'key-name', name: 'name', label: 'What it is for', required: true, attrs: { placeholder: 'Zapier, website form…' } })}
      ${field({ id: 'key-role', name: 'role', label: 'Role', type: 'select', value: 'VIEWER', options: ROLES })}
      <button type="submit">Create key</button>
    </form>
    <div class="table-wrap"><table class="table"><caption class="visually-hidden">API keys</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Starts</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th></tr></thead>
      <tbody>${a.items.map((k) => html`<tr class=${k.revokedAt ? 'revoked' : ''}>
        <td>${k.name}</td><td><code>${k.prefix}…</code></td><td>${k.role.toLowerCase()}</td><td>${when(k.createdAt)}</td><td>${when(k.lastUsedAt)}</td>
        <td>${k.revokedAt ? html`revoked ${when(k.revokedAt)}` : html`<button type="button" class="secondary" @click=${async () => {
          if (await confirmAction(`Revoke “${k.name}”?`, 'Anything using this key is refused from now on. This cannot be undone.', 'Revoke')) {
            act(`mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { id } ${ERRORS} } }`, { input: { id: k.id } }, 'revokeApiKey', `“${k.name}” is revoked.`);
          }
        }}>Revoke</button>`}</td></tr>`)}</tbody></table></div>`;
}

function resolveReview(review, decision) {
  const words = decision === 'OPTED_OUT' ? 'opted out' : 'kept subscribed';
  return act(`mutation($input: ResolveOptOutReviewInput!) { resolveOptOutReview(input: $input) { review { id } ${ERRORS} } }`,
    { input: { id: review.id, decision } }, 'resolveOptOutReview', `${review.contact?.displayName ?? 'The contact'} is ${words}.`);
}

function optOutsView(a) {
  return html`
    <p class="hint">Replies that may mean "stop texting me". Marketing to the contact is held until you decide.</p>
    <form class="toolbar" @submit=${setFilters}>
      ${field({ id: 'review-status', name: 'status', label: 'Show', type: 'select', value: a.filters.status, options: [['PENDING', 'Waiting for a decision'], ['OPTED_OUT', 'Opted out'], ['KEPT', 'Kept'], ['', 'All']] })}
      <button type="submit" class="secondary">Show</button>
    </form>
    ${a.items.length || a.loading ? nothing : html`<p class="empty">Nothing to review.</p>`}
    <ul class="reviews">${a.items.map((r) => html`<li class="review">
      <p><a href=${r.contact ? `#/contacts/${encodeURIComponent(r.contact.id)}` : '#/admin/opt-outs'}>${r.contact?.displayName || formatPhone(r.contact?.phone) || 'Unknown contact'}</a>
        <span class="hint">${when(r.createdAt)} · ${r.reason} (${Math.round(r.score * 100)}%)</span></p>
      <blockquote>${r.activity.body ?? ''}</blockquote>
      ${r.status === 'PENDING'
        ? html`<div class="actions"><button type="button" class="secondary" @click=${() => resolveReview(r, 'KEPT')}>Keep subscribed</button>
            <button type="button" class="danger" @click=${() => resolveReview(r, 'OPTED_OUT')}>Opt out</button></div>`
        : html`<p class="hint">${r.status === 'OPTED_OUT' ? 'Opted out' : 'Kept'} by ${r.resolvedBy ?? 'someone'} ${when(r.resolvedAt)}</p>`}
    </li>`)}</ul>`;
}

function webhooksView(a) {
  return html`
    <form class="toolbar" @submit=${setFilters}>
      ${field({ id: 'hook-status', name: 'status', label: 'State', type: 'select', value: a.filters.status, options: [['', 'Any'], ['FAILED', 'Failed'], ['RECEIVED', 'Received'], ['PROCESSED', 'Processed'], ['IGNORED', 'Ignored']] })}
      ${field({ id: 'hook-type', name: 'type', label: 'Type', value: a.filters.type, attrs: { placeholder: 'message.received' } })}
      <button type="submit" class="secondary">Filter</button>
    </form>
    <div class="table-wrap"><table class="table"><caption class="visually-hidden">Webhook events</caption>
      <thead><tr><th scope="col">Received</th><th scope="col">Type</th><th scope="col">State</th><th scope="col">Tries</th><th scope="col">Last error</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${a.items.map((e) => html`<tr>
        <td>${when(e.receivedAt)}</td><td>${e.type}</td><td><span class=${`state state-${e.status.toLowerCase()}`}>${e.status.toLowerCase()}</span></td>
        <td>${e.attempts}</td><td>${e.lastError ?? ''}</td>
        <td><button type="button" class="secondary" @click=${() => act(`mutation($input: ReplayWebhookEventInput!) { replayWebhookEvent(input: $input) { webhookEvent { id status } ${ERRORS} } }`,
          { input: { id: e.id } }, 'replayWebhookEvent', `The ${e.type} event is queued again.`)}>Replay</button></td></tr>`)}</tbody></table></div>`;
}

function auditView(a) {
  return html`
    <form class="toolbar" @submit=${setFilters}>
      ${field({ id: 'audit-action', name: 'action', label: 'Action', value: a.filters.action, attrs: { placeholder: 'login.failed' } })}
      <button type="submit" class="secondary">Filter</button>
    </form>
    <div class="table-wrap"><table class="table"><caption class="visually-hidden">Audit log</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">From</th></tr></thead>
      <tbody>${a.items.map((e) => html`<tr><td>${fullTime(e.at)}</td><td><code>${e.action}</code></td><td>${e.actorName ?? e.actorKind.toLowerCase()}</td>
        <td>${e.target ?? ''}${e.details ? html` <span class="hint">${e.details}</span>` : nothing}</td><td>${e.ipAddress ?? ''}</td></tr>`)}</tbody></table></div>`;
}

const RUNNING = ['QUEUED', 'RUNNING'];

function importsView(a) {
  return html`
    <div class="toolbar">
      <a class="button" href="#/contacts/import">Import contacts from a CSV</a>
      <button type="button" class="secondary" @click=${() => act(`mutation { startOpenPhoneImport { job { id } ${ERRORS} } }`, {}, 'startOpenPhoneImport', 'The OpenPhone history import has started.')}>Import history from OpenPhone</button>
    </div>
    <div class="table-wrap"><table class="table"><caption class="visually-hidden">Import jobs</caption>
      <thead><tr><th scope="col">Started</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Failed</th><th scope="col">By</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${a.items.map((j) => html`<tr>
        <td>${when(j.createdAt)}</td><td>${j.kind.toLowerCase().replaceAll('_', ' ')}</td>
        <td>${j.status.toLowerCase()}${j.failureReason ? html` <span class="error">${j.failureReason}</span>` : nothing}</td>
        <td>${j.total ? html`<progress max=${j.total} value=${j.done} aria-label=${`${j.done} of ${j.total}`}></progress> ${j.done} / ${j.total}` : j.phase}</td>
        <td>${j.failed}</td><td>${j.startedBy ?? ''}</td>
        <td>${RUNNING.includes(j.status) && !j.cancelRequested
          ? html`<button type="button" class="secondary" @click=${async () => {
            if (await confirmAction('Cancel this import?', 'What it has imported so far stays.', 'Cancel import')) {
              act(`mutation($input: CancelImportJobInput!) { cancelImportJob(input: $input) { job { id } ${ERRORS} } }`, { input: { id: j.id } }, 'cancelImportJob', 'The import is stopping.');
            }
          }}>Cancel</button>`
          : !RUNNING.includes(j.status) ? html`<a href=${j.reportUrl} download>Report</a>` : nothing}</td></tr>`)}</tbody></table></div>`;
}

const VIEWS = { staff: staffView, keys: keysView, 'opt-outs': optOutsView, webhooks: webhooksView, audit: auditView, imports: importsView };

function shownSecret(a) {
  if (!a.shown) return nothing;
  return html`<div class="secret" role="status">
    <h2>${a.shown.title}</h2>
    <p>${a.shown.note}</p>
    <p><code class="secret-value">${a.shown.secret}</code>
      <button type="button" class="secondary" @click=${() => navigator.clipboard?.writeText(a.shown.secret).then(() => notify('Copied.'), () => notify('Copy it by hand: the browser refused.', 'error'))}>Copy</button>
      <button type="button" class="link" @click=${() => { a.shown = null; update(); }}>Done</button></p>
  </div>`;
}

function view() {
  const a = admin();
  return html`<section class="page admin" aria-labelledby="admin-title">
    <h1 id="admin-title">Admin</h1>
    <nav class="tabs" aria-label="Admin tools">${Object.entries(TABS).map(([key, t]) => html`<a href=${`#/admin/${key}`} aria-current=${a.tab === key ? 'page' : 'false'}>${t.label}</a>`)}</nav>
    ${shownSecret(a)}
    ${VIEWS[a.tab](a)}
    ${status(a)}
    ${more(a.pageInfo, a.loading, () => load(true))}
  </section>`;
}

export const adminPage = {
  name: 'admin',
  label: 'Admin',
  match: (path) => (path === '/admin' || path.startsWith('/admin/') ? { tab: path.slice('/admin/'.length) || 'staff' } : null),
  allowed: isAdmin,
  enter,
  view,
};
