// The campaigns page: the list, the builder (new, or a draft's edit) and a campaign's own page with its live progress.
import { html, nothing } from './vendor/lit-html/lit-html.js';
import uPlot from './vendor/uplot/uPlot.esm.js';
import { gql, payloadError, subscribe } from './api.js';
import { canWrite, notify, update } from './store.js';
import { confirmAction, errorsByField, field, more, status } from './ui.js';
import { formatPhone, fullTime, money } from './format.js';

const STATUSES = ['DRAFT', 'SCHEDULED', 'RUNNING', 'PAUSED', 'COMPLETED', 'CANCELLED'];
const STATUS_WORDS = { DRAFT: 'Draft', SCHEDULED: 'Scheduled', RUNNING: 'Running', PAUSED: 'Paused', COMPLETED: 'Completed', CANCELLED: 'Cancelled' };
const SKIP_WORDS = {
  OPTED_OUT: 'Opted out',
  NO_CONSENT: 'No consent on record',
  REVIEW_PENDING: 'Opt-out review pending',
  NO_MOBILE_NUMBER: 'No mobile number',
  EXCLUDED_TAG: 'Excluded tag',
  FREQUENCY_CAP: 'Frequency cap',
  ALREADY_TEXTED: 'Already texted',
  REFUSED: 'Refused by the send gate',
};
const DAYS = [[1, 'Mon'], [2, 'Tue'], [3, 'Wed'], [4, 'Thu'], [5, 'Fri'], [6, 'Sat'], [7, 'Sun']];
const PAGE = 20;
const MAX_VARIANTS = 5;
const MAX_FOLLOW_UPS = 5;

const ERROR_FIELDS = `errors { __typename ... on Error { message } ... on InvalidFieldError { field } ... on CampaignStateError { status } }`;

const TALLY = `fragment Tally on CampaignTally {
  audience pending queued sent delivered undelivered awaitingDelivery failedToSend skipped skippedBy { reason count }
  replied optedOut replyRate optOutRate cost
}`;

const SETTINGS = `fragment Settings on Campaign {
  id name status audienceFilter audienceList { id name memberCount } phoneNumber { id name number } consentAttested
  dailyCap perMinute window { start end days } startAt timeZone minSample confidence autoWinner
  variants { id label body weight } followUps { step afterHours afterDays body }
  recurrence { frequency days until includePreviouslyTexted nextRunAt } createdAt createdBy startedAt finishedAt
}`;

const FULL = `query Campaign($id: ID!) {
  campaign(id: $id) {
    ...Settings
    winner { id label }
    history { kind at detail actor }
    results {
      total { ...Tally }
      variants { variant { id label } tally { ...Tally } }
      hourly { hour sent delivered replied }
      replyTest { leaderId confidence significant note }
      optOutTest { leaderId confidence significant note }
      followUps { step { step afterHours afterDays } total waiting due queued sent failedToSend skipped stopped replied cost }
    }
  }
}
${SETTINGS}
${TALLY}`;

// `results` reads every recipient of a campaign; a page of 20 keeps that bounded for the list's progress bars.
const LIST = `query Campaigns($where: CampaignFilterInput, $after: String) {
  campaigns(first: ${PAGE}, after: $after, where: $where) {
    pageInfo { hasNextPage endCursor }
    nodes { id name status createdAt startedAt startAt results { total { audience sent delivered replied } } }
  }
}`;

const CHOICES = `{
  phoneNumbers(first: 100) { nodes { id name number isActive } }
  contactLists(first: 100) { nodes { id name memberCount } }
}`;

const AUDIENCE = `query Audience($input: AudiencePreviewInput!) {
  audiencePreview(input: $input) { total eligible sample { id displayName } excluded { reason count } }
}`;

const PREVIEW = `query Preview($input: TemplatePreviewInput!) {
  templatePreview(input: $input) {
    knownVariables
    errors { __typename ... on Error { message } }
    contact { contact { displayName } text segments { encoding segments estimatedCost } fellBack missing optOutFooter }
    audience { contacts minSegments maxSegments totalSegments totalCost encodings ucs2Texts }
  }
}`;

const LIVE = 'subscription Campaign($id: ID) { campaignUpdated(id: $id) { id status } }';

const VARIABLES = '{ templatePreview(input: { body: "x" }) { knownVariables } }';

const list = { status: '', items: [], pageInfo: null, loading: false, error: null, token: 0 };
let builder = null;
let detail = null;
let stopLive = null;
let poll = 0;
let chart = null;

const statusWord = (s) => STATUS_WORDS[s] ?? s;
const percent = (rate) => `${(rate * 100).toFixed(1)}%`;
const campaignHref = (id, suffix = '') => `#/campaigns/${encodeURIComponent(id)}${suffix}`;
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function zones() {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return all.includes(browserZone()) ? all : [browserZone(), ...all];
}

/** The instant a wall-clock time in `zone` names (the zone's offset then, DST included). */
function zonedInstant(local, zone) {
  const asUtc = Date.parse(`${local}:00Z`);
  if (Number.isNaN(asUtc)) return null;
  const offsetAt = (instant) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
    return Date.UTC(+parts.year, parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second) - instant;
  };
  const first = asUtc - offsetAt(asUtc);
  return new Date(asUtc - offsetAt(first));
}

function leave() {
  stopLive?.();
  stopLive = null;
  clearInterval(poll);
  poll = 0;
  chart?.destroy();
  chart = null;
}

// The shell has no "leave" hook: leaving the page's routes ends its subscription, refresh and chart.
window.addEventListener('hashchange', () => {
  if (!/^#\/campaigns(\/|$|\?)/.test(location.hash)) leave();
});

// ---------------------------------------------------------------------------------------------------------------
// The list

async function loadList({ more: next = false } = {}) {
  if (next && (list.loading || !list.pageInfo?.hasNextPage)) return;
  const token = ++list.token;
  list.loading = true;
  list.error = null;
  update();
  try {
    const data = await gql(LIST, { where: list.status ? { status: { eq: list.status } } : null, after: next ? list.pageInfo.endCursor : null });
    if (token !== list.token) return;
    list.items = next ? [...list.items, ...data.campaigns.nodes] : data.campaigns.nodes;
    list.pageInfo = data.campaigns.pageInfo;
  } catch (error) {
    if (token === list.token) list.error = error.message;
  } finally {
    if (token === list.token) list.loading = false;
    update();
  }
}

function progress(total, label) {
  const of = total?.audience ?? 0;
  const sent = total?.sent ?? 0;
  const delivered = total?.delivered ?? 0;
  const share = (n) => (of ? Math.min(100, (n / of) * 100) : 0);
  const text = `${sent} sent, ${delivered} delivered of ${of}`;
  return html`<div class="progress">
    <div class="bar" role="img" aria-label=${`${label}: ${text}`}>
      <span class="bar-sent" data-width=${share(sent)}></span><span class="bar-delivered" data-width=${share(delivered)}></span>
    </div>
    <span class="progress-text">${text}</span>
  </div>`;
}

// CSP forbids style="" in markup; widths are set on the elements once drawn.
function sizeBars() {
  document.querySelectorAll('.campaigns .bar [data-width]').forEach((el) => { el.style.width = `${el.dataset.width}%`; });
}

function listView() {
  return html`<section class="page campaigns" aria-labelledby="campaigns-title">
    <div class="page-head">
      <h1 id="campaigns-title">Campaigns</h1>
      ${canWrite() ? html`<a class="button" href="#/campaigns/new">New campaign</a>` : nothing}
    </div>
    <div class="toolbar">
      <div class="field">
        <label for="campaign-status">Status</label>
        <select id="campaign-status" @change=${(e) => { list.status = e.target.value; loadList(); }}>
          <option value="" ?selected=${!list.status}>All</option>
          ${STATUSES.map((s) => html`<option value=${s} ?selected=${list.status === s}>${statusWord(s)}</option>`)}
        </select>
      </div>
    </div>
    ${list.error ? status(list) : nothing}
    <div class="table-wrap">
      <table class="table">
        <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Replies</th><th scope="col">Created</th><th scope="col">Start</th></tr></thead>
        <tbody>
          ${list.items.map((c) => html`<tr>
            <td><a href=${campaignHref(c.id)}>${c.name}</a></td>
            <td><span class="campaign-status" data-status=${c.status}>${statusWord(c.status)}</span></td>
            <td>${c.startedAt ? progress(c.results?.total, c.name) : html`<span class="hint">Not started</span>`}</td>
            <td>${c.results?.total.replied ?? 0}</td>
            <td>${fullTime(c.createdAt)}</td>
            <td>${fullTime(c.startedAt ?? c.startAt) || '—'}</td>
          </tr>`)}
        </tbody>
      </table>
    </div>
    ${!list.loading && !list.error && !list.items.length ? html`<p class="empty">No campaigns${list.status ? ` ${statusWord(list.status).toLowerCase()}` : ''} yet.</p>` : nothing}
    ${list.loading && !list.items.length ? status(list) : nothing}
    ${more(list.pageInfo, list.loading, () => loadList({ more: true }))}
  </section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// The builder

function blankBuilder() {
  return {
    id: null, loading: false, error: null, saving: false, errors: {},
    name: '', phoneNumberId: '', audienceKind: 'filter', tags: '', listId: '', customFilter: null, consentAttested: false,
    variants: [{ body: '', weight: 1, preview: null, previewError: null, token: 0 }],
    startMode: 'later', startLocal: '', timeZone: browserZone(),
    recurrence: '', recurrenceDays: [1], recurrenceUntil: '',
    perMinute: 10, dailyCap: '', windowStart: '09:00', windowEnd: '18:00', windowDays: [1, 2, 3, 4, 5],
    followUps: [],
    lines: [], lists: [], known: [],
    audience: null, audienceError: null, audienceToken: 0,
  };
}

/** A saved filter the builder can show as tags; anything else is kept as it is and said so. */
function tagsOf(filterJson) {
  if (!filterJson) return { tags: '', custom: null };
  try {
    const filter = JSON.parse(filterJson);
    const some = filter?.tags?.some;
    if (Object.keys(filter).length === 1 && some && Object.keys(some).length === 1) {
      if (typeof some.eq === 'string') return { tags: some.eq, custom: null };
      if (Array.isArray(some.in)) return { tags: some.in.join(', '), custom: null };
    }
  } catch {
    // Not JSON: shown as a filter the builder keeps untouched.
  }

  return { tags: '', custom: filterJson };
}

async function enterBuilder(id) {
  builder = blankBuilder();
  builder.id = id;
  builder.loading = true;
  update();
  try {
    const [choices, known, existing] = await Promise.all([
      gql(CHOICES),
      gql(VARIABLES),
      id ? gql(`query Draft($id: ID!) { campaign(id: $id) { ...Settings } } ${SETTINGS}`, { id }) : null,
    ]);
    const b = builder;
    b.lines = choices.phoneNumbers.nodes;
    b.lists = choices.contactLists.nodes;
    b.known = known.templatePreview.knownVariables;
    if (existing) {
      const c = existing.campaign;
      if (!c) throw new Error('There is no such campaign.');
      if (c.status !== 'DRAFT') throw new Error(`This campaign is ${statusWord(c.status).toLowerCase()}: only a draft is edited here.`);
      const { tags, custom } = tagsOf(c.audienceFilter);
      Object.assign(b, {
        name: c.name, phoneNumberId: c.phoneNumber?.id ?? '', audienceKind: c.audienceList && !c.audienceFilter ? 'list' : 'filter',
        tags, customFilter: custom, listId: c.audienceList?.id ?? '', consentAttested: c.consentAttested,
        variants: c.variants.length ? c.variants.map((v) => ({ body: v.body, weight: v.weight, preview: null, previewError: null, token: 0 })) : b.variants,
        perMinute: c.perMinute, dailyCap: c.dailyCap ?? '', windowStart: c.window.start, windowEnd: c.window.end, windowDays: c.window.days,
        followUps: c.followUps.map((f) => (f.afterDays ? { delay: f.afterDays, unit: 'days', body: f.body } : { delay: f.afterHours, unit: 'hours', body: f.body })),
        recurrence: c.recurrence?.frequency ?? '', recurrenceDays: c.recurrence?.days?.length ? c.recurrence.days : [1],
        recurrenceUntil: c.recurrence?.until ? c.recurrence.until.slice(0, 10) : '', timeZone: c.timeZone ?? browserZone(),
      });
    }
  } catch (error) {
    builder.error = error.message;
  } finally {
    builder.loading = false;
    update();
  }
  if (!builder.error) {
    refreshAudience();
    builder.variants.forEach((_, i) => previewVariant(i));
  }
}

function audienceFilter(b) {
  if (b.audienceKind !== 'filter') return null;
  if (b.customFilter) return JSON.parse(b.customFilter);
  const tags = b.tags.split(',').map((t) => t.trim()).filter(Boolean);
  if (!tags.length) return null;
  return { tags: { some: tags.length === 1 ? { eq: tags[0] } : { in: tags } } };
}

function audienceInput(b) {
  const where = audienceFilter(b);
  const listId = b.audienceKind === 'list' && b.listId ? b.listId : null;
  return where || listId ? { where, listId } : null;
}

const timers = new Map();
function debounce(key, fn, ms = 400) {
  clearTimeout(timers.get(key));
  timers.set(key, setTimeout(fn, ms));
}

async function refreshAudience() {
  const b = builder;
  const audience = audienceInput(b);
  const token = ++b.audienceToken;
  if (!audience) {
    b.audience = null;
    b.audienceError = null;
    update();
    return;
  }

  try {
    const data = await gql(AUDIENCE, { input: { ...audience, consentAttested: b.consentAttested, campaignId: b.id, sample: 1 } });
    if (b !== builder || token !== b.audienceToken) return;
    b.audience = data.audiencePreview;
    b.audienceError = null;
  } catch (error) {
    if (b === builder && token === b.audienceToken) b.audienceError = error.message;
  }
  update();
  // The sample contact is what the variants render for: a new audience may bring a new one.
  b.variants.forEach((_, i) => debounce(`variant-${i}`, () => previewVariant(i), 50));
}

async function previewVariant(index) {
  const b = builder;
  const variant = b?.variants[index];
  if (!variant) return;
  const token = ++variant.token;
  if (!variant.body.trim()) {
    variant.preview = null;
    variant.previewError = null;
    update();
    return;
  }

  const audience = audienceInput(b);
  try {
    const data = await gql(PREVIEW, { input: { body: variant.body, contactId: b.audience?.sample[0]?.id ?? null, where: audience?.where ?? null, listId: audience?.listId ?? null } });
    if (token !== variant.token) return;
    variant.preview = data.templatePreview;
    variant.previewError = null;
  } catch (error) {
    if (token === variant.token) variant.previewError = error.message;
  }
  update();
}

function onBuilderInput(event) {
  const b = builder;
  const { name, value, checked, type } = event.target;
  if (!name) return;
  let m;
  if ((m = /^variant-(\d+)-(body|weight)$/.exec(name))) {
    const i = Number(m[1]);
    b.variants[i][m[2]] = value;
    if (m[2] === 'body') debounce(`variant-${i}`, () => previewVariant(i), 500);
  } else if ((m = /^follow-(\d+)-(delay|unit|body)$/.exec(name))) {
    b.followUps[Number(m[1])][m[2]] = value;
  } else if ((m = /^(window|recurrence)-day-(\d)$/.exec(name))) {
    const key = m[1] === 'window' ? 'windowDays' : 'recurrenceDays';
    const day = Number(m[2]);
    b[key] = checked ? [...new Set([...b[key], day])].sort() : b[key].filter((d) => d !== day);
  } else if (type === 'checkbox') {
    b[name] = checked;
  } else {
    b[name] = value;
  }

  if (['audienceKind', 'tags', 'listId', 'consentAttested'].includes(name)) debounce('audience', refreshAudience);
  update();
}

function insertVariable(index, variable) {
  const b = builder;
  const textarea = document.getElementById(`variant-${index}-body`);
  const token = `{${variable}}`;
  const body = b.variants[index].body;
  const at = textarea ? textarea.selectionStart : body.length;
  const end = textarea ? textarea.selectionEnd : body.length;
  b.variants[index].body = body.slice(0, at) + token + body.slice(end);
  update();
  queueMicrotask(() => {
    textarea?.focus();
    textarea?.setSelectionRange(at + token.length, at + token.length);
  });
  debounce(`variant-${index}`, () => previewVariant(index), 300);
}

const intOrNull = (v) => (v === '' || v == null ? null : Number.parseInt(v, 10));

function campaignInput(b) {
  return {
    name: b.name,
    audience: audienceInput(b),
    phoneNumberId: b.phoneNumberId || null,
    consentAttested: b.consentAttested,
    perMinute: intOrNull(b.perMinute),
    dailyCap: intOrNull(b.dailyCap),
    window: { start: b.windowStart, end: b.windowEnd, days: b.windowDays },
    variants: b.variants.map((v) => ({ body: v.body, weight: intOrNull(v.weight) ?? 1 })),
    followUps: b.followUps.map((f) => ({ body: f.body, [f.unit === 'days' ? 'afterDays' : 'afterHours']: intOrNull(f.delay) })),
    recurrence: b.recurrence
      ? { frequency: b.recurrence, days: b.recurrence === 'WEEKLY' ? b.recurrenceDays : null, until: b.recurrenceUntil ? zonedInstant(`${b.recurrenceUntil}T23:59`, b.timeZone)?.toISOString() : null }
      : null,
  };
}

// Template errors name no field: they belong to the variants as a whole.
const TEMPLATE_ERRORS = { InvalidTemplateError: 'variants', EmptyMessageError: 'variants', MessageTooLongError: 'variants', NotFoundError: 'form', CampaignStateError: 'form' };

async function saveBuilder(event) {
  event.preventDefault();
  const b = builder;
  const schedule = b.startMode === 'at' || b.recurrence;
  b.errors = {};
  if (schedule && !b.startLocal) {
    b.errors.startAt = 'Choose the date and time it starts.';
    update();
    return;
  }

  b.saving = true;
  update();
  try {
    const input = campaignInput(b);
    if (!b.id && input.recurrence === null) delete input.recurrence;
    const data = b.id
      ? (await gql(`mutation Update($input: UpdateCampaignInput!) { updateCampaign(input: $input) { campaign { id } ${ERROR_FIELDS} } }`, { input: { id: b.id, ...input } })).updateCampaign
      : (await gql(`mutation Create($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } ${ERROR_FIELDS} } }`, { input })).createCampaign;
    const errors = errorsByField(data, TEMPLATE_ERRORS);
    if (errors) {
      b.errors = errors;
      return;
    }

    b.id = data.campaign.id;
    if (schedule) {
      const startAt = zonedInstant(b.startLocal, b.timeZone);
      const scheduled = (await gql(`mutation Schedule($input: ScheduleCampaignInput!) { scheduleCampaign(input: $input) { campaign { id } ${ERROR_FIELDS} } }`,
        { input: { id: b.id, startAt: startAt?.toISOString() ?? b.startLocal, timeZone: b.timeZone } })).scheduleCampaign;
      const scheduleErrors = errorsByField(scheduled, TEMPLATE_ERRORS);
      if (scheduleErrors) {
        // Saved as a draft all the same: the builder stays, with the errors, now editing that draft (no hashchange,
        // which would start the builder afresh).
        b.errors = scheduleErrors;
        history.replaceState(null, '', campaignHref(b.id, '/edit'));
        return;
      }
      notify('Campaign scheduled.');
    } else {
      notify('Draft saved.');
    }
    location.hash = campaignHref(b.id);
  } catch (error) {
    b.errors = { form: error.message };
  } finally {
    b.saving = false;
    update();
  }
}

function errorFor(prefix) {
  const errors = builder.errors;
  const hits = Object.entries(errors).filter(([k]) => k === prefix || k.startsWith(`${prefix}.`) || k.startsWith(`${prefix}[`));
  return hits.length ? hits.map(([, v]) => v).join(' ') : null;
}

/** A textarea like ui.js field()'s, bound by property so inserting a variable shows at once. */
function textArea({ id, label, value, error, hint, rows = 3 }) {
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || nothing;
  return html`<div class="field ${error ? 'invalid' : ''}">
    <label for=${id}>${label}</label>
    <textarea id=${id} name=${id} rows=${rows} .value=${value} aria-invalid=${error ? 'true' : 'false'} aria-describedby=${described}></textarea>
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : nothing}
    ${error ? html`<p class="field-error" id=${`${id}-error`}>${error}</p>` : nothing}
  </div>`;
}

function dayBoxes(prefix, legend, chosen, error) {
  return html`<fieldset class="days ${error ? 'invalid' : ''}" aria-describedby=${error ? `${prefix}-days-error` : nothing}>
    <legend>${legend}</legend>
    ${DAYS.map(([d, label]) => html`<label class="check"><input type="checkbox" name=${`${prefix}-day-${d}`} .checked=${chosen.includes(d)}> ${label}</label>`)}
    ${error ? html`<p class="field-error" id=${`${prefix}-days-error`}>${error}</p>` : nothing}
  </fieldset>`;
}

function audienceSummary(b) {
  if (b.audienceError) return html`<p class="error" role="alert">${b.audienceError}</p>`;
  if (!b.audience) return html`<p class="hint">Choose who it texts to see how many it would reach.</p>`;
  const a = b.audience;
  return html`<div class="audience-count" role="status">
    <p><strong class="eligible">${a.eligible}</strong> of ${a.total} contacts would be texted.</p>
    ${a.excluded.length ? html`<ul class="excluded">${a.excluded.map((x) => html`<li>${SKIP_WORDS[x.reason] ?? x.reason}: ${x.count}</li>`)}</ul>` : nothing}
  </div>`;
}

function variantPreview(v) {
  if (v.previewError) return html`<p class="error">${v.previewError}</p>`;
  const p = v.preview;
  if (!p) return nothing;
  if (p.errors?.length) return html`<p class="field-error">${p.errors.map((e) => e.message).join(' ')}</p>`;
  const c = p.contact;
  const a = p.audience;
  return html`<div class="preview">
    ${c ? html`<p class="preview-for">As ${c.contact.displayName} would get it:</p>
      <p class="bubble body preview-text">${c.text}</p>
      <p class="hint">${c.segments.encoding === 'UCS2' ? 'UCS-2' : 'GSM-7'} · ${c.segments.segments} ${c.segments.segments === 1 ? 'part' : 'parts'} · ${money(c.segments.estimatedCost)}
        ${c.missing.length ? html` · no value for ${c.missing.join(', ')}` : nothing}${c.optOutFooter ? ' · with the opt-out footer' : ''}</p>` : nothing}
    ${a ? html`<p class="hint estimate">Across ${a.contacts} contacts: ${a.minSegments === a.maxSegments ? a.minSegments : `${a.minSegments}–${a.maxSegments}`} ${a.maxSegments === 1 ? 'part' : 'parts'} each,
      ${a.totalSegments} in all, about ${money(a.totalCost)}${a.ucs2Texts ? `; ${a.ucs2Texts} as UCS-2` : ''}.</p>` : nothing}
  </div>`;
}

function variantView(b, v, i) {
  const label = String.fromCharCode(65 + i);
  return html`<fieldset class="variant">
    <legend>Variant ${label}</legend>
    ${textArea({ id: `variant-${i}-body`, label: `Text of variant ${label}`, value: v.body, rows: 4, error: builder.errors[`variants[${i}]`] ?? null })}
    ${b.known.length ? html`<div class="variables" role="group" aria-label=${`Insert a variable into variant ${label}`}>
      ${b.known.map((name) => html`<button type="button" class="chip" @click=${() => insertVariable(i, name)}>{${name}}</button>`)}
    </div>` : nothing}
    <div class="row-fields">
      ${field({ id: `variant-${i}-weight`, label: 'Weight', type: 'number', value: v.weight, attrs: { min: 1, max: 100 }, error: builder.errors[`variants[${i}].weight`] ?? null })}
      ${b.variants.length > 1 ? html`<button type="button" class="secondary" @click=${() => { b.variants.splice(i, 1); update(); }}>Remove variant ${label}</button>` : nothing}
    </div>
    ${variantPreview(v)}
  </fieldset>`;
}

function followUpView(b, f, i) {
  return html`<fieldset class="follow-up">
    <legend>Follow-up ${i + 1}</legend>
    <div class="row-fields">
      ${field({ id: `follow-${i}-delay`, label: 'After', type: 'number', value: f.delay, attrs: { min: 1 }, error: errorFor(`followUps[${i}].afterHours`) ?? errorFor(`followUps[${i}].afterDays`) })}
      ${field({ id: `follow-${i}-unit`, label: 'Unit', type: 'select', value: f.unit, options: [['hours', 'hours'], ['days', 'days']] })}
    </div>
    ${textArea({ id: `follow-${i}-body`, label: `Text of follow-up ${i + 1}`, value: f.body, error: builder.errors[`followUps[${i}]`] ?? null })}
    <button type="button" class="secondary" @click=${() => { b.followUps.splice(i, 1); update(); }}>Remove follow-up ${i + 1}</button>
  </fieldset>`;
}

function builderView() {
  const b = builder;
  const title = b.id ? 'Edit campaign' : 'New campaign';
  if (!canWrite()) return html`<section class="page campaigns"><h1>${title}</h1><p>Your role reads campaigns; it does not change them.</p></section>`;
  if (b.loading || b.error) return html`<section class="page campaigns"><h1>${title}</h1>${status(b)}</section>`;
  const e = b.errors;
  const lineOptions = [['', 'The default line'], ...b.lines.filter((l) => l.isActive).map((l) => [l.id, `${l.name ?? 'Line'} · ${formatPhone(l.number)}`])];
  const listOptions = [['', 'Choose a list'], ...b.lists.map((l) => [l.id, `${l.name} (${l.memberCount})`])];
  return html`<section class="page campaigns builder" aria-labelledby="builder-title">
    <p><a href=${b.id ? campaignHref(b.id) : '#/campaigns'}>← ${b.id ? 'Back to the campaign' : 'Campaigns'}</a></p>
    <h1 id="builder-title">${title}</h1>
    <form novalidate @input=${onBuilderInput} @change=${onBuilderInput} @submit=${saveBuilder}>
      ${e.form ? html`<p class="error" role="alert">${e.form}</p>` : nothing}
      <section class="panel" aria-labelledby="b-basics"><h2 id="b-basics">Basics</h2>
        ${field({ id: 'name', label: 'Name', value: b.name, error: e.name ?? null })}
        ${field({ id: 'phoneNumberId', label: 'Line it sends from', type: 'select', value: b.phoneNumberId, options: lineOptions, error: e.phoneNumberId ?? null })}
      </section>

      <section class="panel" aria-labelledby="b-audience"><h2 id="b-audience">Audience</h2>
        <fieldset class="choice"><legend>Who it texts</legend>
          <label class="check"><input type="radio" name="audienceKind" value="filter" .checked=${b.audienceKind === 'filter'}> Contacts with a tag</label>
          <label class="check"><input type="radio" name="audienceKind" value="list" .checked=${b.audienceKind === 'list'}> A contact list</label>
        </fieldset>
        ${b.audienceKind === 'filter'
          ? (b.customFilter
            ? html`<p class="hint">This draft keeps a filter made elsewhere: <code>${b.customFilter}</code>.
                <button type="button" class="link" @click=${() => { b.customFilter = null; refreshAudience(); }}>Use tags instead</button></p>`
            : field({ id: 'tags', label: 'Tags', value: b.tags, hint: 'Contacts with any of these tags, separated by commas.', error: errorFor('audience') }))
          : field({ id: 'listId', label: 'Contact list', type: 'select', value: b.listId, options: listOptions, error: errorFor('audience') })}
        <label class="check"><input type="checkbox" name="consentAttested" .checked=${b.consentAttested}>
          I attest that the contacts with no consent on record agreed to receive these texts</label>
        ${audienceSummary(b)}
      </section>

      <section class="panel" aria-labelledby="b-variants"><h2 id="b-variants">Texts</h2>
        <p class="hint">Two or more variants make an A/B test: each contact gets one, in proportion to the weights.</p>
        ${e.variants ? html`<p class="field-error" role="alert">${e.variants}</p>` : nothing}
        ${b.variants.map((v, i) => variantView(b, v, i))}
        ${b.variants.length < MAX_VARIANTS ? html`<button type="button" class="secondary" @click=${() => { b.variants.push({ body: '', weight: 1, preview: null, previewError: null, token: 0 }); update(); }}>Add a variant</button>` : nothing}
      </section>

      <section class="panel" aria-labelledby="b-follow"><h2 id="b-follow">Follow-ups</h2>
        <p class="hint">Sent after the text before it to whoever has not replied or opted out since.</p>
        ${e.followUps ? html`<p class="field-error">${e.followUps}</p>` : nothing}
        ${b.followUps.map((f, i) => followUpView(b, f, i))}
        ${b.followUps.length < MAX_FOLLOW_UPS ? html`<button type="button" class="secondary" @click=${() => { b.followUps.push({ delay: 2, unit: 'days', body: '' }); update(); }}>Add a follow-up</button>` : nothing}
      </section>

      <section class="panel" aria-labelledby="b-pacing"><h2 id="b-pacing">Pacing</h2>
        <div class="row-fields">
          ${field({ id: 'perMinute', label: 'Texts a minute, at most', type: 'number', value: b.perMinute, attrs: { min: 1, max: 600 }, error: e.perMinute ?? null })}
          ${field({ id: 'dailyCap', label: 'Texts a day, at most', type: 'number', value: b.dailyCap, hint: 'Empty: the line’s cap only.', attrs: { min: 1 }, error: e.dailyCap ?? null })}
        </div>
        <div class="row-fields">
          ${field({ id: 'windowStart', label: 'Sends from', type: 'time', value: b.windowStart, error: e['window.start'] ?? null })}
          ${field({ id: 'windowEnd', label: 'Until', type: 'time', value: b.windowEnd, error: e['window.end'] ?? null })}
        </div>
        <p class="hint">In the business’s time zone; each contact’s quiet hours apply as well.</p>
        ${dayBoxes('window', 'Days it sends', b.windowDays, e['window.days'] ?? null)}
      </section>

      <section class="panel" aria-labelledby="b-schedule"><h2 id="b-schedule">Start</h2>
        <fieldset class="choice"><legend>When it starts</legend>
          <label class="check"><input type="radio" name="startMode" value="later" .checked=${b.startMode === 'later' && !b.recurrence}
            ?disabled=${Boolean(b.recurrence)}> When I start it from its page</label>
          <label class="check"><input type="radio" name="startMode" value="at" .checked=${b.startMode === 'at' || Boolean(b.recurrence)}> At a date and time</label>
        </fieldset>
        ${b.startMode === 'at' || b.recurrence ? html`<div class="row-fields">
          ${field({ id: 'startLocal', label: 'Starts at', type: 'datetime-local', value: b.startLocal, error: e.startAt ?? null })}
          ${field({ id: 'timeZone', label: 'Time zone', type: 'select', value: b.timeZone, options: zones().map((z) => [z, z]), error: e.timeZone ?? null })}
        </div>` : nothing}
        ${field({ id: 'recurrence', label: 'Repeats', type: 'select', value: b.recurrence, options: [['', 'Does not repeat'], ['DAILY', 'Every day'], ['WEEKLY', 'Every week'], ['MONTHLY', 'Every month']], error: e.recurrence ?? null })}
        ${b.recurrence === 'WEEKLY' ? dayBoxes('recurrence', 'Days it runs', b.recurrenceDays, e['recurrence.days'] ?? null) : nothing}
        ${b.recurrence ? field({ id: 'recurrenceUntil', label: 'Last run by', type: 'date', value: b.recurrenceUntil, error: e['recurrence.until'] ?? null }) : nothing}
      </section>

      <div class="actions">
        <button type="submit" ?disabled=${b.saving}>${b.saving ? 'Saving…' : b.startMode === 'at' || b.recurrence ? 'Save and schedule' : 'Save draft'}</button>
      </div>
    </form>
  </section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// A campaign's page

async function loadDetail() {
  const d = detail;
  const token = ++d.token;
  d.loading = !d.campaign;
  try {
    const data = await gql(FULL, { id: d.id });
    if (d !== detail || token !== d.token) return;
    d.campaign = data.campaign;
    d.error = data.campaign ? null : 'There is no such campaign.';
  } catch (error) {
    if (d === detail) d.error = error.message;
  } finally {
    if (d === detail) d.loading = false;
    update();
  }
  syncPoll();
}

// Deliveries raise no campaignUpdated (they are the texts' own status): while it runs, a slow refresh catches them.
function syncPoll() {
  const running = detail?.campaign?.status === 'RUNNING';
  if (running && !poll) poll = setInterval(loadDetail, 5000);
  if (!running && poll) {
    clearInterval(poll);
    poll = 0;
  }
}

function enterDetail(id) {
  detail = { id, campaign: null, loading: true, error: null, token: 0, busy: false };
  loadDetail();
  let refetch = 0;
  // Bursts of events (a tick queues many texts) come down to one refetch.
  const soon = () => {
    clearTimeout(refetch);
    refetch = setTimeout(loadDetail, 300);
  };
  stopLive = subscribe(LIVE, { id }, soon, soon);
}

async function act(action, { confirm = null, then = null } = {}) {
  const d = detail;
  if (confirm && !(await confirmAction(confirm.title, confirm.text, confirm.action))) return;
  d.busy = true;
  update();
  try {
    const data = await gql(`mutation Act($input: CampaignIdInput!) { ${action}(input: $input) { campaign { id status } ${ERROR_FIELDS} } }`, { input: { id: d.id } });
    const payload = data[action];
    const error = payloadError(payload);
    if (error) {
      notify(error, 'error');
    } else if (then) {
      then(payload.campaign);
    } else {
      await loadDetail();
    }
  } catch (error) {
    notify(error.message, 'error');
  } finally {
    d.busy = false;
    update();
  }
}

function actions(c) {
  if (!canWrite()) return nothing;
  const busy = detail.busy;
  const b = (label, action, opts, cls = '') => html`<button type="button" class=${cls} ?disabled=${busy} @click=${() => act(action, opts)}>${label}</button>`;
  const duplicate = b('Duplicate', 'duplicateCampaign', { then: (copy) => { notify('Copied into a new draft.'); location.hash = campaignHref(copy.id); } }, 'secondary');
  const cancel = b('Cancel campaign', 'cancelCampaign', { confirm: { title: 'Cancel this campaign?', text: 'It ends for good: texts not yet sent are not sent.', action: 'Cancel campaign' } }, 'danger');
  const start = b('Start now', 'startCampaign', { confirm: { title: 'Start this campaign now?', text: 'Its audience is fixed now and texting begins at the next turn.', action: 'Start now' } });
  const byStatus = {
    DRAFT: [start, html`<a class="button secondary" href=${campaignHref(c.id, '/edit')}>Edit or schedule</a>`, duplicate,
      b('Delete', 'deleteCampaign', { confirm: { title: 'Delete this draft?', text: `“${c.name}” is deleted for good.`, action: 'Delete' }, then: () => { notify('Draft deleted.'); location.hash = '#/campaigns'; } }, 'danger')],
    SCHEDULED: [start, duplicate, cancel],
    RUNNING: [b('Pause', 'pauseCampaign'), duplicate, cancel],
    PAUSED: [b('Resume', 'resumeCampaign'), duplicate, cancel],
    COMPLETED: [duplicate],
    CANCELLED: [duplicate],
  };
  return html`<div class="actions campaign-actions">${byStatus[c.status] ?? duplicate}</div>`;
}

function audienceWords(c) {
  const parts = [];
  if (c.audienceFilter) {
    const { tags, custom } = tagsOf(c.audienceFilter);
    parts.push(custom ? html`contacts matching <code>${custom}</code>` : `contacts tagged ${tags}`);
  }
  if (c.audienceList) parts.push(`the list ${c.audienceList.name} (${c.audienceList.memberCount})`);
  return parts.length ? parts.map((p, i) => html`${i ? ' within ' : ''}${p}`) : 'none yet';
}

function settingsView(c) {
  const days = (list) => DAYS.filter(([d]) => list.includes(d)).map(([, l]) => l).join(', ');
  return html`<dl class="settings">
    <dt>Audience</dt><dd>${audienceWords(c)}${c.consentAttested ? '; consent attested' : ''}</dd>
    <dt>Line</dt><dd>${c.phoneNumber ? `${c.phoneNumber.name ?? ''} ${formatPhone(c.phoneNumber.number)}` : 'The default line'}</dd>
    <dt>Pacing</dt><dd>${c.perMinute} a minute${c.dailyCap ? `, ${c.dailyCap} a day` : ''}; ${c.window.start}–${c.window.end} on ${days(c.window.days)}</dd>
    <dt>Start</dt><dd>${c.startedAt ? `Started ${fullTime(c.startedAt)}` : c.startAt ? `${fullTime(c.startAt)}${c.timeZone ? ` (${c.timeZone})` : ''}` : 'Not scheduled'}
      ${c.finishedAt ? html`; ended ${fullTime(c.finishedAt)}` : nothing}</dd>
    ${c.recurrence ? html`<dt>Repeats</dt><dd>${c.recurrence.frequency.toLowerCase()}${c.recurrence.frequency === 'WEEKLY' ? ` on ${days(c.recurrence.days)}` : ''}${c.recurrence.until ? `, until ${fullTime(c.recurrence.until)}` : ''}${c.recurrence.nextRunAt ? `; next run ${fullTime(c.recurrence.nextRunAt)}` : ''}</dd>` : nothing}
    <dt>A/B test</dt><dd>read after ${c.minSample} sends a variant, at ${percent(c.confidence)} confidence${c.autoWinner ? '; the winner takes the rest' : ''}${c.winner ? html`; <strong>winner: ${c.winner.label}</strong>` : nothing}</dd>
    <dt>Created</dt><dd>${fullTime(c.createdAt)} by ${c.createdBy}</dd>
  </dl>`;
}

function countsView(t) {
  const rows = [
    ['Audience', t.audience], ['Waiting', t.pending], ['Queued', t.queued], ['Sent', t.sent], ['Delivered', t.delivered],
    ['Undelivered', t.undelivered], ['Failed to send', t.failedToSend], ['Skipped', t.skipped], ['Replied', t.replied], ['Opted out', t.optedOut],
  ];
  return html`<dl class="counts" aria-live="polite">
    ${rows.map(([label, n]) => html`<div class="count"><dt>${label}</dt><dd data-count=${label.toLowerCase()}>${n}</dd></div>`)}
  </dl>
  ${t.skippedBy.length ? html`<p class="hint">Skipped: ${t.skippedBy.map((s) => `${SKIP_WORDS[s.reason] ?? s.reason} ${s.count}`).join(', ')}.</p>` : nothing}
  <p class="hint">Reply rate ${percent(t.replyRate)} · opt-out rate ${percent(t.optOutRate)} · cost ${money(Number(t.cost))}</p>`;
}

function testWords(test, variants) {
  const leader = variants.find((v) => v.variant.id === test.leaderId)?.variant.label;
  return html`${test.note}${leader ? ` Leading: ${leader}` : ''}${test.confidence != null ? ` (${percent(test.confidence)} confidence${test.significant ? ', significant' : ''})` : ''}`;
}

function variantsView(c) {
  const r = c.results;
  return html`<div class="table-wrap"><table class="table">
    <thead><tr><th scope="col">Variant</th><th scope="col">Text</th><th scope="col">Weight</th><th scope="col">Sent</th><th scope="col">Replied</th><th scope="col">Reply rate</th><th scope="col">Opt-out rate</th></tr></thead>
    <tbody>${r.variants.map(({ variant, tally }) => html`<tr>
      <th scope="row">${variant.label}</th>
      <td class="body">${c.variants.find((v) => v.id === variant.id)?.body ?? ''}</td>
      <td>${c.variants.find((v) => v.id === variant.id)?.weight ?? ''}</td>
      <td>${tally.sent}</td><td>${tally.replied}</td><td>${percent(tally.replyRate)}</td><td>${percent(tally.optOutRate)}</td>
    </tr>`)}</tbody>
  </table></div>
  ${r.variants.length > 1 ? html`<p class="hint">Replies: ${testWords(r.replyTest, r.variants)}</p><p class="hint">Opt-outs: ${testWords(r.optOutTest, r.variants)}</p>` : nothing}`;
}

function followUpsView(c) {
  if (!c.followUps.length) return nothing;
  const byStep = new Map(c.results.followUps.map((f) => [f.step.step, f]));
  return html`<section aria-labelledby="c-follow"><h2 id="c-follow">Follow-ups</h2>
    <div class="table-wrap"><table class="table">
      <thead><tr><th scope="col">Step</th><th scope="col">After</th><th scope="col">Text</th><th scope="col">Scheduled</th><th scope="col">Waiting</th><th scope="col">Sent</th><th scope="col">Stopped</th><th scope="col">Skipped</th><th scope="col">Replied</th></tr></thead>
      <tbody>${c.followUps.map((s) => {
        const t = byStep.get(s.step);
        return html`<tr><th scope="row">${s.step}</th><td>${s.afterDays ? `${s.afterDays} d` : `${s.afterHours} h`}</td><td class="body">${s.body}</td>
          <td>${t?.total ?? 0}</td><td>${(t?.waiting ?? 0) + (t?.due ?? 0) + (t?.queued ?? 0)}</td><td>${t?.sent ?? 0}</td><td>${t?.stopped ?? 0}</td><td>${t?.skipped ?? 0}</td><td>${t?.replied ?? 0}</td></tr>`;
      })}</tbody>
    </table></div>
  </section>`;
}

const SERIES = [['Sent', '#0b57d0'], ['Delivered', '#1d7a3a'], ['Replied', '#a4161a']];

function drawChart() {
  const el = document.getElementById('campaign-chart');
  const hourly = detail?.campaign?.results.hourly ?? [];
  if (!el || !hourly.length) {
    if (chart && !chart.root.isConnected) {
      chart.destroy();
      chart = null;
    }
    return;
  }

  const data = [hourly.map((h) => Date.parse(h.hour) / 1000), hourly.map((h) => h.sent), hourly.map((h) => h.delivered), hourly.map((h) => h.replied)];
  const width = Math.max(280, el.clientWidth - 2 || 600);
  // Half an hour either side keeps the first and last hours (or a lone one) off the axis' edges.
  const xs = { min: data[0][0] - 1800, max: data[0][data[0].length - 1] + 1800 };
  if (chart && chart.root.parentElement === el) {
    chart.setData(data, false);
    chart.setScale('x', xs);
    if (Math.abs(chart.width - width) > 4) chart.setSize({ width, height: 220 });
    return;
  }

  chart?.destroy();
  chart = new uPlot({
    width,
    height: 220,
    legend: { show: false },
    cursor: { show: false },
    series: [{}, ...SERIES.map(([label, stroke]) => ({ label, stroke, width: 2, points: { show: true, size: 6, fill: stroke } }))],
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) }],
    scales: {
      x: { time: true, auto: false },
      y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
  }, data, el);
  chart.setScale('x', xs);
}

window.addEventListener('resize', () => {
  if (chart) drawChart();
});

function chartView(c) {
  const hourly = c.results.hourly;
  queueMicrotask(drawChart);
  if (!hourly.length) return html`<p class="hint">Nothing sent yet: the chart starts with the first text.</p>`;
  const last = hourly[hourly.length - 1];
  return html`<div class="chart-legend" aria-hidden="true">${SERIES.map(([label], i) => html`<span class=${`key key-${i}`}>${label}</span>`)}</div>
    <div id="campaign-chart" class="chart" role="img" aria-label=${`Sends, deliveries and replies by hour over ${hourly.length} ${hourly.length === 1 ? 'hour' : 'hours'}; the latest hour: ${last.sent} sent, ${last.delivered} delivered, ${last.replied} replied.`}></div>
    <details><summary>The hours as a table</summary>
      <div class="table-wrap"><table class="table">
        <thead><tr><th scope="col">Hour</th><th scope="col">Sent</th><th scope="col">Delivered</th><th scope="col">Replied</th></tr></thead>
        <tbody>${hourly.map((h) => html`<tr><td>${fullTime(h.hour)}</td><td>${h.sent}</td><td>${h.delivered}</td><td>${h.replied}</td></tr>`)}</tbody>
      </table></div>
    </details>`;
}

function detailView() {
  const d = detail;
  const c = d.campaign;
  if (!c) return html`<section class="page campaigns"><p><a href="#/campaigns">← Campaigns</a></p><h1>Campaign</h1>${status(d)}</section>`;
  const t = c.results.total;
  return html`<section class="page campaigns campaign" aria-labelledby="campaign-title">
    <p><a href="#/campaigns">← Campaigns</a></p>
    <div class="page-head">
      <h1 id="campaign-title">${c.name}</h1>
      <span class="campaign-status" data-status=${c.status} role="status">${statusWord(c.status)}</span>
    </div>
    ${d.error ? html`<p class="error" role="alert">${d.error}</p>` : nothing}
    ${actions(c)}
    ${settingsView(c)}
    <section aria-labelledby="c-progress"><h2 id="c-progress">Progress</h2>
      ${progress(t, 'Progress')}
      ${countsView(t)}
    </section>
    <section aria-labelledby="c-chart"><h2 id="c-chart">By hour</h2>${chartView(c)}</section>
    <section aria-labelledby="c-variants"><h2 id="c-variants">Variants</h2>${variantsView(c)}</section>
    ${followUpsView(c)}
    <section aria-labelledby="c-history"><h2 id="c-history">History</h2>
      <ol class="history">${c.history.map((h) => html`<li>${fullTime(h.at)}: ${h.kind}${h.detail ? ` — ${h.detail}` : ''} (${h.actor})</li>`)}</ol>
    </section>
  </section>`;
}

// ---------------------------------------------------------------------------------------------------------------

function parse(rest) {
  if (!rest) return { view: 'list' };
  if (rest === 'new') return { view: 'builder', id: null };
  if (rest.endsWith('/edit')) return { view: 'builder', id: decodeURIComponent(rest.slice(0, -'/edit'.length)) };
  return { view: 'detail', id: decodeURIComponent(rest) };
}

let current = { view: 'list' };

export const campaignsPage = {
  name: 'campaigns',
  label: 'Campaigns',
  match: (path) => (path === '/campaigns' || path.startsWith('/campaigns/') ? { rest: path.slice('/campaigns'.length + 1) } : null),
  allowed: () => true,
  enter(params) {
    leave();
    current = parse(params.rest);
    if (current.view === 'list') loadList();
    else if (current.view === 'builder') enterBuilder(current.id);
    else enterDetail(current.id);
  },
  view() {
    queueMicrotask(sizeBars);
    if (current.view === 'builder' && builder) return builderView();
    if (current.view === 'detail' && detail) return detailView();
    return listView();
  },
};
