// Pieces every page draws the same way: form fields with their errors, a confirmation dialog, loading and error lines,
// and "load more" paging. Views only; the state they show belongs to the page that calls them.
import { html, nothing } from './vendor/lit-html/lit-html.js';
import { state, update } from './store.js';

/**
 * A labelled input with its validation error tied to it (aria-invalid, aria-describedby), so a screen reader reads
 * the error with the field. `type: 'textarea'` and `type: 'select'` (with `options: [[value, label]]`) are supported.
 */
export function field({ id, label, name = id, value = '', type = 'text', error = null, hint = null, required = false, options = [], attrs = {} }) {
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || nothing;
  let control;
  if (type === 'textarea') {
    control = html`<textarea id=${id} name=${name} ?required=${required} aria-invalid=${error ? 'true' : 'false'} aria-describedby=${described}
      rows=${attrs.rows ?? 3}>${value ?? ''}</textarea>`;
  } else if (type === 'select') {
    control = html`<select id=${id} name=${name} ?required=${required} aria-invalid=${error ? 'true' : 'false'} aria-describedby=${described}>
      ${options.map(([v, l]) => html`<option value=${v} ?selected=${String(v) === String(value ?? '')}>${l}</option>`)}</select>`;
  } else {
    control = html`<input id=${id} name=${name} type=${type} .value=${value ?? ''} ?required=${required}
      aria-invalid=${error ? 'true' : 'false'} aria-describedby=${described} autocomplete=${attrs.autocomplete ?? nothing}
      inputmode=${attrs.inputmode ?? nothing} min=${attrs.min ?? nothing} max=${attrs.max ?? nothing} step=${attrs.step ?? nothing}
      placeholder=${attrs.placeholder ?? nothing}>`;
  }

  return html`<div class="field ${error ? 'invalid' : ''}">
    <label for=${id}>${label}</label>
    ${control}
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : nothing}
    ${error ? html`<p class="field-error" id=${`${id}-error`}>${error}</p>` : nothing}
  </div>`;
}

/**
 * A mutation payload's errors split by the input field they name (InvalidFieldError.field, or what `fieldOf` maps a
 * typename to), the rest under `form`. Null when the payload has no errors.
 */
export function errorsByField(payload, fieldOf = {}) {
  const errors = payload?.errors;
  if (!errors?.length) return null;
  const byField = {};
  for (const e of errors) {
    const key = e.field ?? fieldOf[e.__typename] ?? 'form';
    byField[key] = byField[key] ? `${byField[key]} ${e.message}` : e.message;
  }

  return byField;
}

/** "Loading…" or the error in words, for a slice of page state shaped { loading, error }. */
export function status(slice) {
  if (slice?.error) return html`<p class="error" role="alert">${slice.error}</p>`;
  if (slice?.loading) return html`<p class="loading" role="status">Loading…</p>`;
  return nothing;
}

/** A "Load more" button under a list while the connection has a next page. */
export function more(pageInfo, loading, onMore) {
  if (!pageInfo?.hasNextPage) return nothing;
  return html`<p class="more"><button type="button" class="secondary" ?disabled=${loading} @click=${onMore}>${loading ? 'Loading…' : 'Load more'}</button></p>`;
}

let pending = null;

/** Asks before something that cannot be undone; resolves true only on the confirm button. */
export function confirmAction(title, text, action = 'Delete') {
  pending?.resolve(false);
  return new Promise((resolve) => {
    pending = { title, text, action, resolve };
    state.confirming = true;
    update();
  });
}

function settle(answer) {
  const p = pending;
  pending = null;
  state.confirming = false;
  update();
  p?.resolve(answer);
}

/** Closes an open confirmation as "no" (Esc). Returns whether one was open. */
export function dismissConfirm() {
  if (!pending) return false;
  settle(false);
  return true;
}

/** Drawn by the shell on every page. */
export function confirmDialog() {
  if (!pending) return nothing;
  const p = pending;
  return html`<div class="dialog-backdrop" @click=${(e) => { if (e.target === e.currentTarget) settle(false); }}>
    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-text">
      <h2 id="confirm-title">${p.title}</h2>
      <p id="confirm-text">${p.text}</p>
      <div class="actions">
        <button type="button" class="secondary" @click=${() => settle(false)}>Cancel</button>
        <button type="button" class="danger" autofocus @click=${() => settle(true)}>${p.action}</button>
      </div>
    </div>
  </div>`;
}
