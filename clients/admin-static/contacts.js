// The contacts page: a filtered, sorted list whose filter lives in the URL; a contact's page with its consent ledger
// and edit form; the create form; the CSV import wizard; and the export of what the list shows.
import { html, nothing } from './vendor/lit-html/lit-html.js';
import { repeat } from './vendor/lit-html/directives/repeat.js';
import { gql, payloadError, subscribe } from './api.js';
import { canWrite, notify, update } from './store.js';
import { formatPhone, fullTime, relativeTime } from './format.js';
import { confirmAction, errorsByField, field, more, status } from './ui.js';

const PAGE = 50;

const LIST = `query Contacts($where: ContactFilterInput, $order: [ContactSortInput!], $after: String) {
  contacts(first: ${PAGE}, after: $after, where: $where, order: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id displayName phone email tags createdAt smsConsent { status } }
  }
}`;

const CONTACT = `fragment Full on Contact {
  id firstName lastName displayName phone email company timeZone timeZoneSource tags source openPhoneContactId createdAt updatedAt
  address { street city state postalCode }
  customFields { key value }
  smsConsent { status since source }
  consentHistory(first: 50) { totalCount nodes { id status source at recordedAt evidence actorName note } }
  conversations(first: 20) { nodes { id status lastActivityAt lastActivityPreview phoneNumber { name number } } }
}`;

const ONE = `query Contact($id: ID!) { contact(id: $id) { ...Full } }
${CONTACT}`;

const ERRORS = `errors { __typename ... on Error { message } ... on InvalidFieldError { field }
  ... on DuplicateContactError { existingContactId existingContact { displayName } } }`;

const CREATE = `mutation Create($input: CreateContactInput!) { createContact(input: $input) { contact { id } ${ERRORS} } }`;

const UPDATE = `mutation Update($input: UpdateContactInput!) { updateContact(input: $input) { contact { ...Full } ${ERRORS} } }
${CONTACT}`;

const DELETE = `mutation Delete($input: DeleteContactInput!) {
  deleteContact(input: $input) { contact { id } errors { __typename ... on Error { message } } }
}`;

const RECORD = `mutation Record($input: RecordConsentInput!) {
  recordConsent(input: $input) { contact { ...Full } errors { __typename ... on Error { message } ... on InvalidFieldError { field } } }
}
${CONTACT}`;

const JOB = `fragment Job on ImportJob { id status phase total done failed failureReason cancelRequested reportUrl finishedAt }`;

const JOB_QUERY = `query Job($id: ID!) { importJob(id: $id) { ...Job } }
${JOB}`;

const JOB_LIVE = `subscription Job($id: ID) { importJobUpdated(id: $id) { ...Job } }
${JOB}`;

const CANCEL = `mutation Cancel($input: CancelImportJobInput!) { cancelImportJob(input: $input) { importJob { ...Job } errors { __typename ... on Error { message } } } }
${JOB}`;

const CONSENT_WORDS = { UNKNOWN: 'Unknown', OPTED_IN: 'Opted in', OPTED_OUT: 'Opted out' };

// ---------------------------------------------------------------------------------------------------------------
// The list. Its filter is the URL's query part, so a filtered view can be linked, bookmarked and reloaded.

const FILTERS = ['q', 'tag', 'consent', 'conversation', 'from', 'to', 'sort'];

// Each sortable column: its ContactSortInput keys, and the direction a first click gives (dates newest first).
const SORTS = {
  name: { keys: ['lastName', 'firstName'], first: 'ASC' },
  email: { keys: ['email'], first: 'ASC' },
  created: { keys: ['createdAt'], first: 'DESC' },
};
const DEFAULT_SORT = 'created:desc';

const list = { filters: {}, items: [], pageInfo: null, total: null, loading: false, error: null, token: 0 };

function filtersOf(params) {
  return Object.fromEntries(FILTERS.filter((k) => params[k]).map((k) => [k, String(params[k])]));
}

const words = (text) => (text ?? '').split(/\s+/).filter(Boolean);
const tagsOf = (text) => (text ?? '').split(',').map((t) => t.trim()).filter(Boolean);

/** A date input's day as the instant its local midnight is, `days` later. */
function midnight(day, days = 0) {
  const d = new Date(`${day}T00:00`);
  d.setDate(d.getDate() + days);
  return d.toISOString();
}

/** The filter as ContactFilterInput: what the list queries and what the export link carries. */
function whereOf(f) {
  const and = [];
  const tags = tagsOf(f.tag);
  if (tags.length) and.push({ or: tags.map((t) => ({ tags: { some: { eq: t } } })) });
  if (f.consent) and.push({ smsConsent: { status: { eq: f.consent } } });
  if (f.conversation === 'yes') and.push({ conversations: { any: true } });
  if (f.conversation === 'no') and.push({ conversations: { any: false } });
  if (f.from) and.push({ createdAt: { gte: midnight(f.from) } });
  if (f.to) and.push({ createdAt: { lt: midnight(f.to, 1) } });
  // Every word must be in one of the fields: "Rita Replies" finds first name Rita, last name Replies.
  for (const word of words(f.q)) {
    const or = ['firstName', 'lastName', 'email', 'company'].map((k) => ({ [k]: { contains: word } }));
    const digits = word.replace(/\D/g, '');
    if (digits.length >= 3) or.push({ phone: { contains: digits } });
    and.push({ or });
  }

  return and.length ? { and } : null;
}

function sortOf(f) {
  const [column, dir] = (f.sort ?? DEFAULT_SORT).split(':');
  return SORTS[column] ? { column, dir: dir === 'desc' ? 'DESC' : 'ASC' } : { column: 'created', dir: 'DESC' };
}

function orderOf(f) {
  const { column, dir } = sortOf(f);
  return SORTS[column].keys.map((k) => ({ [k]: dir }));
}

function listHash(f) {
  const query = new URLSearchParams(Object.entries(f).filter(([, v]) => v)).toString();
  return `#/contacts${query ? `?${query}` : ''}`;
}

function exportHref(f) {
  const query = new URLSearchParams();
  const where = whereOf(f);
  if (where) query.set('where', JSON.stringify(where));
  query.set('order', JSON.stringify(orderOf(f)));
  return `/exports/contacts?${query}`;
}

async function loadList({ more: next = false } = {}) {
  if (next && (list.loading || !list.pageInfo?.hasNextPage)) return;
  const token = ++list.token;
  list.loading = true;
  update();
  try {
    const data = await gql(LIST, { where: whereOf(list.filters), order: orderOf(list.filters), after: next ? list.pageInfo.endCursor : null });
    if (token !== list.token) return;
    const page = data.contacts;
    list.items = next ? [...list.items, ...page.nodes.filter((n) => !list.items.some((c) => c.id === n.id))] : page.nodes;
    list.pageInfo = page.pageInfo;
    list.total = page.totalCount;
    list.error = null;
  } catch (error) {
    if (token === list.token) list.error = error.message;
  } finally {
    if (token === list.token) {
      list.loading = false;
      update();
    }
  }
}

function onFilter(event) {
  event.preventDefault();
  const data = new FormData(event.target);
  const next = Object.fromEntries(FILTERS.filter((k) => k !== 'sort').map((k) => [k, String(data.get(k) ?? '').trim()]));
  next.sort = list.filters.sort;
  location.hash = listHash(next);
}

function sortBy(column) {
  const current = sortOf(list.filters);
  const dir = current.column === column ? (current.dir === 'ASC' ? 'desc' : 'asc') : SORTS[column].first.toLowerCase();
  location.hash = listHash({ ...list.filters, sort: `${column}:${dir}` });
}

function sortHeader(column, label) {
  const current = sortOf(list.filters);
  const sorted = current.column === column ? (current.dir === 'ASC' ? 'ascending' : 'descending') : 'none';
  return html`<th scope="col" aria-sort=${sorted}>
    <button type="button" class="sort" @click=${() => sortBy(column)}>${label}<span aria-hidden="true">${sorted === 'ascending' ? ' ▲' : sorted === 'descending' ? ' ▼' : ''}</span></button>
  </th>`;
}

function consentBadge(consent) {
  return html`<span class="consent consent-${consent.status.toLowerCase()}">${CONSENT_WORDS[consent.status] ?? consent.status}</span>`;
}

function tagList(tags) {
  return tags.length ? html`<ul class="tags">${tags.map((t) => html`<li>${t}</li>`)}</ul>` : nothing;
}

function listView() {
  const f = list.filters;
  return html`<section class="page contacts" aria-labelledby="contacts-title">
    <div class="page-head">
      <h1 id="contacts-title">Contacts</h1>
      <div class="actions">
        ${canWrite() ? html`<a class="button" href="#/contacts/new">New contact</a>
          <a class="button secondary" href="#/contacts/import">Import CSV</a>
          <a class="button secondary" href=${exportHref(f)} download>Download CSV</a>` : nothing}
      </div>
    </div>
    <form class="filters" @submit=${onFilter} aria-label="Filter contacts">
      ${field({ id: 'filter-q', name: 'q', label: 'Name, phone, email or company', value: f.q ?? '', type: 'search' })}
      ${field({ id: 'filter-tag', name: 'tag', label: 'Tags (any of, comma-separated)', value: f.tag ?? '' })}
      ${field({ id: 'filter-consent', name: 'consent', label: 'Consent', type: 'select', value: f.consent ?? '',
        options: [['', 'Any'], ['OPTED_IN', 'Opted in'], ['OPTED_OUT', 'Opted out'], ['UNKNOWN', 'Unknown']] })}
      ${field({ id: 'filter-conversation', name: 'conversation', label: 'Conversation', type: 'select', value: f.conversation ?? '',
        options: [['', 'Any'], ['yes', 'Has one'], ['no', 'None yet']] })}
      ${field({ id: 'filter-from', name: 'from', label: 'Created from', type: 'date', value: f.from ?? '' })}
      ${field({ id: 'filter-to', name: 'to', label: 'Created to', type: 'date', value: f.to ?? '' })}
      <div class="filter-actions">
        <button type="submit">Filter</button>
        ${Object.keys(f).some((k) => k !== 'sort') ? html`<a href=${listHash({ sort: f.sort })}>Clear</a>` : nothing}
      </div>
    </form>
    <p class="count" role="status">${list.total == null ? '' : `${list.total} ${list.total === 1 ? 'contact' : 'contacts'}`}</p>
    ${list.error ? html`<p class="error" role="alert">${list.error} <button type="button" @click=${() => loadList()}>Try again</button></p>` : nothing}
    <div class="table-wrap">
      <table class="table contacts-table" aria-busy=${list.loading ? 'true' : 'false'}>
        <caption class="visually-hidden">Contacts, sorted by the column marked as sorted</caption>
        <thead><tr>
          ${sortHeader('name', 'Name')}<th scope="col">Phone</th>${sortHeader('email', 'Email')}<th scope="col">Tags</th><th scope="col">Consent</th>${sortHeader('created', 'Created')}
        </tr></thead>
        <tbody>
          ${repeat(list.items, (c) => c.id, (c) => html`<tr>
            <td data-label="Name"><a href="#/contacts/${encodeURIComponent(c.id)}">${c.displayName}</a></td>
            <td data-label="Phone">${formatPhone(c.phone)}</td>
            <td data-label="Email">${c.email ?? ''}</td>
            <td data-label="Tags">${tagList(c.tags)}</td>
            <td data-label="Consent">${consentBadge(c.smsConsent)}</td>
            <td data-label="Created"><time datetime=${c.createdAt} title=${fullTime(c.createdAt)}>${relativeTime(c.createdAt)}</time></td>
          </tr>`)}
          ${!list.loading && !list.error && list.items.length === 0 ? html`<tr><td colspan="6" class="empty">No contact matches.</td></tr>` : nothing}
        </tbody>
      </table>
    </div>
    ${list.loading && !list.items.length ? status(list) : nothing}
    ${more(list.pageInfo, list.loading, () => loadList({ more: true }))}
  </section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// One contact: its fields, consent and its ledger, its conversations; the edit form; delete.

const detail = { id: null, contact: null, loading: false, error: null, editing: false, errors: null, saving: false, consentErrors: null, token: 0 };
const creating = { errors: null, saving: false };

async function loadContact(id) {
  const token = ++detail.token;
  Object.assign(detail, { id, contact: null, loading: true, error: null, editing: false, errors: null, saving: false, consentErrors: null });
  update();
  try {
    const data = await gql(ONE, { id });
    if (token !== detail.token) return;
    detail.contact = data.contact;
    if (!data.contact) detail.error = 'There is no such contact. It may have been deleted.';
  } catch (error) {
    if (token === detail.token) detail.error = error.message;
  } finally {
    if (token === detail.token) {
      detail.loading = false;
      update();
    }
  }
}

/** The form's values as Create/UpdateContactInput: an emptied field clears it (the API takes "" as clear). */
function inputOf(form) {
  const data = new FormData(form);
  const text = (k) => String(data.get(k) ?? '').trim();
  const customFields = text('customFields').split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf(':');
    return at < 0 ? { key: line, value: '' } : { key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
  });
  return {
    firstName: text('firstName'),
    lastName: text('lastName'),
    company: text('company'),
    phone: text('phone'),
    email: text('email'),
    timeZone: text('timeZone'),
    tags: tagsOf(text('tags')),
    address: { street: text('street'), city: text('city'), state: text('state'), postalCode: text('postalCode') },
    customFields,
  };
}

const FORM_FIELDS = ['firstName', 'lastName', 'company', 'phone', 'email', 'timeZone', 'tags', 'street', 'city', 'state', 'postalCode', 'customFields'];

/** The payload's errors by form field; a duplicate phone links to the contact that has it. */
function formErrors(payload) {
  const byField = errorsByField(payload, { InvalidPhoneNumberError: 'phone', DuplicateContactError: 'phone' });
  if (!byField) return null;
  const duplicate = payload.errors.find((e) => e.__typename === 'DuplicateContactError');
  if (duplicate) {
    byField.phone = html`${byField.phone} <a href="#/contacts/${encodeURIComponent(duplicate.existingContactId)}">Open
      ${duplicate.existingContact?.displayName ?? 'that contact'}</a>`;
  }

  // An error on a field the form does not show (or on none) is shown above the form.
  const stray = Object.keys(byField).filter((k) => !FORM_FIELDS.includes(k));
  if (stray.length) byField.form = stray.map((k) => byField[k]).join(' ');
  return byField;
}

function focusFirstError() {
  queueMicrotask(() => document.querySelector('.contact-form [aria-invalid="true"]')?.focus());
}

async function onCreate(event) {
  event.preventDefault();
  creating.saving = true;
  creating.errors = null;
  update();
  try {
    const payload = (await gql(CREATE, { input: inputOf(event.target) })).createContact;
    creating.errors = formErrors(payload);
    if (creating.errors) {
      focusFirstError();
    } else {
      notify('Contact created.');
      location.hash = `#/contacts/${encodeURIComponent(payload.contact.id)}`;
    }
  } catch (error) {
    creating.errors = { form: error.message };
  } finally {
    creating.saving = false;
    update();
  }
}

async function onUpdate(event) {
  event.preventDefault();
  detail.saving = true;
  detail.errors = null;
  update();
  try {
    const payload = (await gql(UPDATE, { input: { id: detail.id, ...inputOf(event.target) } })).updateContact;
    detail.errors = formErrors(payload);
    if (detail.errors) {
      focusFirstError();
    } else {
      detail.contact = payload.contact;
      detail.editing = false;
      notify('Contact saved.');
    }
  } catch (error) {
    detail.errors = { form: error.message };
  } finally {
    detail.saving = false;
    update();
  }
}

async function onDelete() {
  const c = detail.contact;
  const sure = await confirmAction(`Delete ${c.displayName}?`, 'The contact, its conversations and their texts and calls are deleted for good.');
  if (!sure) return;
  try {
    const payload = (await gql(DELETE, { input: { id: c.id } })).deleteContact;
    const error = payloadError(payload);
    if (error) {
      notify(error, 'error');
      return;
    }

    notify(`${c.displayName} deleted.`);
    location.hash = '#/contacts';
  } catch (error) {
    notify(error.message, 'error');
  }
}

async function onRecordConsent(event) {
  event.preventDefault();
  const data = new FormData(event.target);
  detail.saving = true;
  detail.consentErrors = null;
  update();
  try {
    const input = { contactId: detail.id, status: String(data.get('status')), note: String(data.get('note') ?? '').trim() || null };
    const payload = (await gql(RECORD, { input })).recordConsent;
    detail.consentErrors = errorsByField(payload);
    if (!detail.consentErrors) {
      detail.contact = payload.contact;
      event.target.reset();
      notify('Consent recorded.');
    }
  } catch (error) {
    detail.consentErrors = { form: error.message };
  } finally {
    detail.saving = false;
    update();
  }
}

function consentForm() {
  const e = detail.consentErrors ?? {};
  const stray = Object.entries(e).filter(([k]) => k !== 'status' && k !== 'note').map(([, v]) => v).join(' ');
  return html`<form class="consent-form" @submit=${onRecordConsent} aria-label="Record consent">
    ${stray ? html`<p class="error" role="alert">${stray}</p>` : nothing}
    ${field({ id: 'consent-status', name: 'status', label: 'What they said', type: 'select', error: e.status,
      options: [['OPTED_IN', 'Opted in to texts'], ['OPTED_OUT', 'Opted out of texts']], value: detail.contact.smsConsent.status === 'OPTED_IN' ? 'OPTED_OUT' : 'OPTED_IN' })}
    ${field({ id: 'consent-note', name: 'note', label: 'How you know', error: e.note, attrs: { placeholder: 'Asked on the phone 12/1' } })}
    <div class="actions"><button type="submit" ?disabled=${detail.saving}>Record consent</button></div>
  </form>`;
}

function contactForm(c, errors, saving, onSubmit, submitLabel, onCancel) {
  const e = errors ?? {};
  const own = c?.timeZoneSource === 'CONTACT' ? c.timeZone : '';
  return html`<form class="contact-form" @submit=${onSubmit} novalidate>
    ${e.form ? html`<p class="error" role="alert">${e.form}</p>` : nothing}
    <fieldset>
      <legend>Name and contact</legend>
      <div class="grid">
        ${field({ id: 'cf-firstName', name: 'firstName', label: 'First name', value: c?.firstName ?? '', error: e.firstName, attrs: { autocomplete: 'off' } })}
        ${field({ id: 'cf-lastName', name: 'lastName', label: 'Last name', value: c?.lastName ?? '', error: e.lastName, attrs: { autocomplete: 'off' } })}
        ${field({ id: 'cf-phone', name: 'phone', label: 'Phone', type: 'tel', value: c?.phone ? formatPhone(c.phone) : '', error: e.phone,
          hint: 'Any US format, or +country code', attrs: { autocomplete: 'off', inputmode: 'tel' } })}
        ${field({ id: 'cf-email', name: 'email', label: 'Email', type: 'email', value: c?.email ?? '', error: e.email, attrs: { autocomplete: 'off' } })}
        ${field({ id: 'cf-company', name: 'company', label: 'Company', value: c?.company ?? '', error: e.company })}
        ${field({ id: 'cf-tags', name: 'tags', label: 'Tags', value: c?.tags?.join(', ') ?? '', error: e.tags, hint: 'Separated by commas' })}
      </div>
    </fieldset>
    <fieldset>
      <legend>Address</legend>
      <div class="grid">
        ${field({ id: 'cf-street', name: 'street', label: 'Street', value: c?.address?.street ?? '', error: e.street })}
        ${field({ id: 'cf-city', name: 'city', label: 'City', value: c?.address?.city ?? '', error: e.city })}
        ${field({ id: 'cf-state', name: 'state', label: 'State', value: c?.address?.state ?? '', error: e.state })}
        ${field({ id: 'cf-postalCode', name: 'postalCode', label: 'ZIP code', value: c?.address?.postalCode ?? '', error: e.postalCode })}
      </div>
    </fieldset>
    <fieldset>
      <legend>More</legend>
      ${field({ id: 'cf-timeZone', name: 'timeZone', label: 'Time zone', value: own, error: e.timeZone,
        hint: c && !own ? `Empty: ${c.timeZone}, from the ${c.timeZoneSource.toLowerCase()}.` : 'Such as America/New_York; empty: from the address or number.' })}
      ${field({ id: 'cf-customFields', name: 'customFields', label: 'Custom fields', type: 'textarea', error: e.customFields,
        value: (c?.customFields ?? []).map((f) => `${f.key}: ${f.value}`).join('\n'), hint: 'One per line: name: value' })}
    </fieldset>
    <div class="actions">
      ${onCancel ? html`<button type="button" class="secondary" @click=${onCancel}>Cancel</button>` : nothing}
      <button type="submit" ?disabled=${saving}>${saving ? 'Saving…' : submitLabel}</button>
    </div>
  </form>`;
}

function newView() {
  return html`<section class="page contacts" aria-labelledby="new-title">
    <p class="crumbs"><a href="#/contacts">Contacts</a></p>
    <h1 id="new-title">New contact</h1>
    ${contactForm(null, creating.errors, creating.saving, onCreate, 'Create contact', () => { location.hash = '#/contacts'; })}
  </section>`;
}

function sourceWord(source) {
  return source ? source.toLowerCase().replace(/_/g, ' ') : '';
}

function detailView() {
  const c = detail.contact;
  if (!c) {
    return html`<section class="page contacts" aria-labelledby="contact-title">
      <p class="crumbs"><a href="#/contacts">Contacts</a></p><h1 id="contact-title">Contact</h1>${status(detail)}</section>`;
  }

  const address = [c.address.street, c.address.city, c.address.state, c.address.postalCode].filter(Boolean).join(', ');
  return html`<section class="page contacts" aria-labelledby="contact-title">
    <p class="crumbs"><a href="#/contacts">Contacts</a></p>
    <div class="page-head">
      <h1 id="contact-title">${c.displayName}</h1>
      ${canWrite() && !detail.editing ? html`<div class="actions">
        <button type="button" @click=${() => { detail.editing = true; detail.errors = null; update(); }}>Edit</button>
        <button type="button" class="danger" @click=${onDelete}>Delete</button>
      </div>` : nothing}
    </div>
    ${detail.editing ? contactForm(c, detail.errors, detail.saving, onUpdate, 'Save', () => { detail.editing = false; update(); }) : html`
    <dl class="facts">
      <dt>Phone</dt><dd>${c.phone ? html`<a href="tel:${c.phone}">${formatPhone(c.phone)}</a>` : '—'}</dd>
      <dt>Email</dt><dd>${c.email ?? '—'}</dd>
      <dt>Company</dt><dd>${c.company ?? '—'}</dd>
      <dt>Address</dt><dd>${address || '—'}</dd>
      <dt>Time zone</dt><dd>${c.timeZone} <span class="hint">(${sourceWord(c.timeZoneSource)})</span></dd>
      <dt>Tags</dt><dd>${c.tags.length ? tagList(c.tags) : 'None'}</dd>
      ${c.customFields.map((f) => html`<dt>${f.key}</dt><dd>${f.value}</dd>`)}
      <dt>Source</dt><dd>${sourceWord(c.source)}</dd>
      ${c.openPhoneContactId ? html`<dt>OpenPhone id</dt><dd>${c.openPhoneContactId}</dd>` : nothing}
      <dt>Created</dt><dd>${fullTime(c.createdAt)}</dd>
      <dt>Changed</dt><dd>${fullTime(c.updatedAt)}</dd>
    </dl>`}
    <h2>Texts consent</h2>
    <p>${consentBadge(c.smsConsent)}${c.smsConsent.since ? ` since ${fullTime(c.smsConsent.since)}` : ''}${c.smsConsent.source ? ` (${sourceWord(c.smsConsent.source)})` : ''}</p>
    ${c.consentHistory.nodes.length ? html`<ol class="history" aria-label="Consent history, newest first">
      ${c.consentHistory.nodes.map((e) => html`<li><strong>${CONSENT_WORDS[e.status]}</strong> ${fullTime(e.at)} · ${sourceWord(e.source)}${e.actorName ? ` · ${e.actorName}` : ''}
        ${e.evidence ? html`<q>${e.evidence}</q>` : nothing}${e.note ? html` <em>${e.note}</em>` : nothing}</li>`)}
    </ol>${c.consentHistory.totalCount > c.consentHistory.nodes.length ? html`<p class="hint">The ${c.consentHistory.nodes.length} newest of ${c.consentHistory.totalCount} entries.</p>` : nothing}`
    : html`<p class="hint">Nothing recorded yet.</p>`}
    ${canWrite() ? consentForm() : nothing}
    <h2>Conversations</h2>
    ${c.conversations.nodes.length ? html`<ul class="conversations">
      ${c.conversations.nodes.map((v) => html`<li><a href="#/c/${encodeURIComponent(v.id)}">On ${v.phoneNumber.name || formatPhone(v.phoneNumber.number)}</a>
        · ${v.status === 'DONE' ? 'done' : 'open'} · ${relativeTime(v.lastActivityAt)}${v.lastActivityPreview ? html` <q>${v.lastActivityPreview}</q>` : nothing}</li>`)}
    </ul>` : html`<p class="hint">No texts or calls yet.</p>`}
  </section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// The CSV import: the browser reads only the first lines, for the preview and the mapping; the server parses the file.

const IMPORT_FIELDS = [
  ['firstName', 'First name'], ['lastName', 'Last name'], ['fullName', 'Full name'], ['phone', 'Phone'], ['email', 'Email'],
  ['street', 'Street'], ['city', 'City'], ['state', 'State'], ['postalCode', 'ZIP code'], ['company', 'Company'],
  ['tags', 'Tags'], ['consent', 'Consent'], ['custom', 'Custom field'], ['ignore', 'Leave out'],
];

// The server's own header synonyms (ContactColumns), so the preselection is what it would guess.
const SYNONYMS = Object.fromEntries([
  ['firstName', 'firstname first givenname fname'], ['lastName', 'lastname last surname familyname lname'],
  ['fullName', 'name fullname contactname ownername owner'], ['email', 'email emailaddress mail'],
  ['street', 'street address streetaddress address1 addressline1 mailingaddress propertyaddress'], ['city', 'city town'],
  ['state', 'state province st'], ['postalCode', 'zip zipcode postalcode postcode postal'],
  ['company', 'company companyname organization organisation business'], ['tags', 'tags tag labels'],
  ['consent', 'consent smsconsent textconsent optin optedin smsoptin'],
].flatMap(([f, keys]) => keys.split(' ').map((k) => [k, f])));
const PHONE_HEADER = /^(primary|home|work|office|other|owner|contact)?(phone|phonenumber|mobile|mobilephone|mobilenumber|cell|cellphone|cellnumber|telephone|tel|landline|wireless)[0-9]*$/;

function guessField(header) {
  const key = header.trim().replace(/^\uFEFF/, '').replace(/[ _.-]/g, '').toLowerCase();
  if (!key) return 'ignore';
  return SYNONYMS[key] ?? (PHONE_HEADER.test(key) ? 'phone' : 'custom');
}

/** RFC 4180 rows (quotes, doubled quotes, CRLF); stops after `limit` rows. */
function parseCsv(text, delimiter = ',', limit = Infinity) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < limit; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === delimiter) {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += ch;
    }
  }

  if ((cell || row.length) && rows.length < limit) rows.push([...row, cell]);
  return rows;
}

function detectDelimiter(line) {
  const counts = [',', ';', '\t'].map((d) => [d, line.split(d).length]);
  return counts.sort((a, b) => b[1] - a[1])[0][0];
}

const STEPS = ['Choose a file', 'Map columns', 'Dry run', 'Import', 'Done'];

const imp = {
  step: 0, file: null, header: [], rows: [], mapping: {}, listName: '', overwrite: false,
  job: null, dry: null, summary: null, error: null, busy: false, stop: null,
};

function resetImport() {
  imp.stop?.();
  Object.assign(imp, { step: 0, file: null, header: [], rows: [], mapping: {}, listName: '', overwrite: false, job: null, dry: null, summary: null, error: null, busy: false, stop: null });
}

async function onFile(event) {
  const file = event.target.files?.[0];
  imp.error = null;
  if (!file) return;
  // 64 KB is plenty for a header and a few rows; a cut-off last line is dropped below.
  const head = (await file.slice(0, 64 * 1024).text()).replace(/^\uFEFF/, '');
  const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
  const rows = parseCsv(head, detectDelimiter(firstLine), 7);
  if (!rows.length || rows[0].every((h) => !h.trim())) {
    imp.error = 'That file has no header row. The first line must name the columns.';
    update();
    return;
  }

  imp.file = file;
  imp.header = rows[0];
  imp.rows = rows.slice(1, 6);
  imp.mapping = Object.fromEntries(imp.header.map((h) => [h, guessField(h)]));
  imp.step = 1;
  update();
}

async function upload(dryRun) {
  const form = new FormData();
  form.append('file', imp.file, imp.file.name);
  form.append('mapping', JSON.stringify(imp.mapping));
  form.append('dryRun', dryRun ? 'true' : 'false');
  form.append('overwrite', imp.overwrite ? 'true' : 'false');
  if (imp.listName) form.append('listName', imp.listName);
  let response;
  try {
    // The header is the server's CSRF rule for cookie-authenticated uploads (a form from elsewhere cannot send it).
    response = await fetch('/imports/contacts', { method: 'POST', body: form, credentials: 'same-origin', headers: { 'GraphQL-Preflight': '1' } });
  } catch {
    throw new Error('The server cannot be reached. Check the connection and try again.');
  }

  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const words = {
      401: 'Your session has ended. Sign in again.',
      403: 'Your role does not allow imports.',
      413: 'The file is too large.',
      429: 'Too many requests at once. Wait a moment and try again.',
    };
    throw new Error(body?.errors?.[0]?.message ?? words[response.status] ?? `The server refused the file (${response.status}).`);
  }

  return body.job;
}

const FINISHED = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Follows a job live, refetching every few seconds as well (a missed event, or a socket that is down). */
function watch(id, onJob) {
  let stopped = false;
  const refetch = async () => {
    try {
      const job = (await gql(JOB_QUERY, { id })).importJob;
      if (!stopped && job) onJob(job);
    } catch {
      // The next tick, or the subscription, brings the job.
    }
  };
  const stopLive = subscribe(JOB_LIVE, { id }, (data) => !stopped && onJob(data.importJobUpdated), refetch);
  const timer = setInterval(refetch, 2000);
  refetch();
  return () => {
    stopped = true;
    clearInterval(timer);
    stopLive();
  };
}

/** The report's outcomes counted, and its rejected rows: what the job's counts alone cannot say. */
async function summarize(job) {
  const response = await fetch(job.reportUrl, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`The report could not be read (${response.status}).`);
  const [header, ...rows] = parseCsv((await response.text()).replace(/^\uFEFF/, ''));
  const outcome = header.indexOf('outcome');
  const reason = header.indexOf('reason');
  const row = header.indexOf('row');
  const counts = {};
  const rejected = [];
  for (const r of rows) {
    if (r.length < header.length) continue;
    counts[r[outcome]] = (counts[r[outcome]] ?? 0) + 1;
    if (r[outcome] === 'REJECTED' && rejected.length < 10) rejected.push({ row: r[row], reason: r[reason] });
  }

  return { rows: rows.filter((r) => r.length >= header.length).length, counts, rejected };
}

async function runStep(dryRun) {
  imp.busy = true;
  imp.error = null;
  update();
  try {
    const started = await upload(dryRun);
    imp.job = { ...started, done: 0, failed: 0, total: null, phase: 'queued' };
    imp.step = dryRun ? 2 : 3;
    imp.summary = null;
    imp.stop?.();
    imp.stop = watch(started.id, (job) => onJob(job, dryRun));
  } catch (error) {
    imp.error = error.message;
    imp.busy = false;
  }

  update();
}

async function onJob(job, dryRun) {
  if (imp.job?.id !== job.id || FINISHED.includes(imp.job.status)) return;
  imp.job = job;
  update();
  if (!FINISHED.includes(job.status)) return;
  imp.stop?.();
  imp.stop = null;
  try {
    if (job.status === 'SUCCEEDED') imp.summary = await summarize(job);
  } catch (error) {
    imp.error = error.message;
  }

  imp.busy = false;
  if (dryRun) imp.dry = { job, summary: imp.summary };
  else imp.step = 4;
  update();
}

async function cancelImport() {
  try {
    const payload = (await gql(CANCEL, { input: { id: imp.job.id } })).cancelImportJob;
    const error = payloadError(payload);
    if (error) notify(error, 'error');
    else notify('Cancelling the import…');
  } catch (error) {
    notify(error.message, 'error');
  }
}

function onMapped(event) {
  event.preventDefault();
  imp.listName = String(new FormData(event.target).get('import-list') ?? '').trim();
  runStep(true);
}

function stepper() {
  return html`<ol class="steps">${STEPS.map((label, i) => html`<li class=${i === imp.step ? 'current' : i < imp.step ? 'past' : ''}
    aria-current=${i === imp.step ? 'step' : 'false'}>${label}</li>`)}</ol>`;
}

function previewTable() {
  return html`<div class="table-wrap"><table class="table preview">
    <caption>The file's first rows, as read here</caption>
    <thead><tr>${imp.header.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
    <tbody>${imp.rows.map((r) => html`<tr>${imp.header.map((_, i) => html`<td>${r[i] ?? ''}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}

const OUTCOMES = [['CREATED', 'create', 'created'], ['UPDATED', 'update', 'updated'], ['UNCHANGED', 'leave unchanged', 'unchanged'],
  ['DUPLICATE_IN_FILE', 'skip as duplicates in the file', 'skipped as duplicates in the file'], ['REJECTED', 'reject', 'rejected']];

function summaryView(summary, dry) {
  if (!summary) return nothing;
  return html`<div role="status"><dl class="summary">
    <dt>Rows</dt><dd>${summary.rows}</dd>
    ${OUTCOMES.map(([key, would, did]) => html`<dt>${dry ? `Would ${would}` : `${did[0].toUpperCase()}${did.slice(1)}`}</dt><dd data-outcome=${key}>${summary.counts[key] ?? 0}</dd>`)}
  </dl></div>
  ${summary.rejected.length ? html`<h3>Rows with errors</h3><ul class="rejected">
    ${summary.rejected.map((r) => html`<li>Row ${r.row}: ${r.reason}</li>`)}</ul>` : nothing}`;
}

function progressView(job) {
  const processed = job.done + job.failed;
  return html`<div class="progress">
    <p id="import-progress-label" role="status">${job.status === 'QUEUED' ? 'Waiting for a worker…' : `${job.phase}: ${processed}${job.total != null ? ` of ${job.total}` : ''} rows`}</p>
    <progress aria-labelledby="import-progress-label" max=${job.total ?? 1} value=${job.total ? processed : 0}></progress>
    ${job.failureReason ? html`<p class="error" role="alert">${job.failureReason}</p>` : nothing}
    ${job.status === 'CANCELLED' ? html`<p>The import was cancelled.</p>` : nothing}
  </div>`;
}

function importView() {
  const job = imp.job;
  let body;
  if (imp.step === 0) {
    body = html`<div class="field">
      <label for="import-file">CSV file</label>
      <input id="import-file" type="file" accept=".csv,.txt,text/csv" @change=${onFile} aria-describedby="import-file-hint">
      <p class="hint" id="import-file-hint">The first line names the columns. A phone or an email column is needed.</p>
    </div>`;
  } else if (imp.step === 1) {
    body = html`<p>${imp.file.name}: its header and first rows.</p>${previewTable()}
      <form class="mapping" @submit=${onMapped}>
        <fieldset><legend>What each column fills</legend>
          <div class="grid">${imp.header.map((h, i) => html`<div class="field">
            <label for=${`map-${i}`}>${h || `Column ${i + 1}`}</label>
            <select id=${`map-${i}`} @change=${(e) => { imp.mapping[h] = e.target.value; }}>
              ${IMPORT_FIELDS.map(([v, l]) => html`<option value=${v} ?selected=${imp.mapping[h] === v}>${l}</option>`)}
            </select></div>`)}</div>
        </fieldset>
        ${field({ id: 'import-list', label: 'Add to the list (optional)', value: imp.listName, hint: 'A contact list by this name, made if new.' })}
        <div class="field check"><input id="import-overwrite" type="checkbox" .checked=${imp.overwrite} @change=${(e) => { imp.overwrite = e.target.checked; }}>
          <label for="import-overwrite">Overwrite fields of existing contacts (an existing phone is never replaced)</label></div>
        <div class="actions">
          <button type="button" class="secondary" @click=${() => { resetImport(); update(); }}>Another file</button>
          <button type="submit" ?disabled=${imp.busy}>Dry run</button>
        </div>
      </form>`;
  } else if (imp.step === 2) {
    const dry = imp.dry;
    body = html`<p>A dry run takes the same decisions as the import and writes only its report.</p>
      ${dry ? html`<h2>What the import would do</h2>${dry.job.status === 'SUCCEEDED' ? summaryView(dry.summary, true) : progressView(dry.job)}
        <p><a href=${dry.job.reportUrl} download>Download the dry run's report</a></p>
        <div class="actions">
          <button type="button" class="secondary" @click=${() => { imp.step = 1; imp.dry = null; imp.job = null; update(); }}>Change the mapping</button>
          ${dry.job.status === 'SUCCEEDED' ? html`<button type="button" ?disabled=${imp.busy} @click=${() => runStep(false)}>Import ${imp.file.name}</button>` : nothing}
        </div>` : job ? progressView(job) : nothing}`;
  } else if (imp.step === 3) {
    body = html`<h2>Importing ${imp.file.name}</h2>${progressView(job)}
      <div class="actions"><button type="button" class="danger" ?disabled=${job.cancelRequested} @click=${cancelImport}>${job.cancelRequested ? 'Cancelling…' : 'Cancel the import'}</button></div>`;
  } else {
    body = html`<h2>${job.status === 'SUCCEEDED' ? 'Import finished' : job.status === 'CANCELLED' ? 'Import cancelled' : 'Import failed'}</h2>
      ${job.status === 'SUCCEEDED' ? summaryView(imp.summary, false) : progressView(job)}
      <p><a class="button" href=${job.reportUrl} download>Download report</a></p>
      <div class="actions">
        <button type="button" class="secondary" @click=${() => { resetImport(); update(); }}>Import another file</button>
        <a class="button" href="#/contacts">Back to contacts</a>
      </div>`;
  }

  return html`<section class="page contacts import" aria-labelledby="import-title">
    <p class="crumbs"><a href="#/contacts">Contacts</a></p>
    <h1 id="import-title">Import contacts</h1>
    ${stepper()}
    ${imp.error ? html`<p class="error" role="alert">${imp.error}</p>` : nothing}
    ${body}
  </section>`;
}

// ---------------------------------------------------------------------------------------------------------------

function readOnly() {
  return html`<section class="page"><h1>Not for your role</h1><p>Viewers read contacts; creating, editing and importing are for marketers and admins.</p>
    <p><a href="#/contacts">Back to contacts</a></p></section>`;
}

let current = { view: 'list' };

export const contactsPage = {
  name: 'contacts',
  label: 'Contacts',
  match(path) {
    if (path === '/contacts') return { view: 'list' };
    const rest = /^\/contacts\/(.+)$/.exec(path)?.[1];
    if (!rest) return null;
    if (rest === 'new' || rest === 'import') return { view: rest };
    return { view: 'detail', id: decodeURIComponent(rest) };
  },
  allowed: () => true,
  enter(params) {
    current = params;
    if (params.view === 'list') {
      list.filters = filtersOf(params);
      loadList();
    } else if (params.view === 'detail') {
      loadContact(params.id);
    } else if (params.view === 'new') {
      Object.assign(creating, { errors: null, saving: false });
    } else if (params.view === 'import' && imp.step === 4) {
      resetImport();
    }
  },
  view() {
    switch (current.view) {
      case 'detail':
        return detailView();
      case 'new':
        return canWrite() ? newView() : readOnly();
      case 'import':
        return canWrite() ? importView() : readOnly();
      default:
        return listView();
    }
  },
};
