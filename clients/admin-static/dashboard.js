// The dashboard: the business at a glance, for every role. Counted and cached by the server (the `dashboard` query).
import { html, nothing, svg } from './vendor/lit-html/lit-html.js';
import { gql } from './api.js';
import { state, update } from './store.js';
import { fullTime } from './format.js';

const PERIOD = 'newConversations textsIn textsOut contacted replied replyRate optOuts campaignDeliveries';
const QUERY = `{ dashboard { computedAt timeZone unread
  today { ${PERIOD} } last7Days { ${PERIOD} } last30Days { ${PERIOD} }
  textsPerDay { date textsIn textsOut } } }`;

const ROWS = [
  ['New conversations', (p) => p.newConversations],
  ['Texts in', (p) => p.textsIn],
  ['Texts out', (p) => p.textsOut],
  ['Reply rate', (p) => (p.replyRate == null ? '—' : `${Math.round(p.replyRate * 100)}%`), (p) => `${p.replied} of ${p.contacted} texted`],
  ['Opt-outs', (p) => p.optOuts],
  ['Campaign deliveries', (p) => p.campaignDeliveries],
];

const number = new Intl.NumberFormat();
const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
let timer = 0;

async function load() {
  const slice = (state.dashboard ??= {});
  slice.loading = !slice.data;
  update();
  try {
    slice.data = (await gql(QUERY)).dashboard;
    slice.error = null;
  } catch (error) {
    slice.error = error.message;
  }

  slice.loading = false;
  update();
}

function enter() {
  load();
  // The numbers are cached server-side until they change, so a minute's refresh costs the server almost nothing.
  clearInterval(timer);
  timer = setInterval(() => {
    if (state.route.name === 'dashboard') load();
    else clearInterval(timer);
  }, 60_000);
}

const show = (v) => (typeof v === 'number' ? number.format(v) : v);

function chart(days) {
  const width = 600;
  const height = 180;
  const pad = { left: 32, bottom: 22, top: 8 };
  const max = Math.max(1, ...days.map((d) => Math.max(d.textsIn, d.textsOut)));
  const step = (width - pad.left) / days.length;
  const bar = Math.max(1, step / 2 - 1);
  const y = (v) => height - pad.bottom - (v / max) * (height - pad.bottom - pad.top);
  const label = (d) => dayLabel.format(new Date(`${d.date}T00:00:00Z`));
  const total = days.reduce((sum, d) => sum + d.textsIn + d.textsOut, 0);
  return html`<figure class="day-chart">
    <svg viewBox=${`0 0 ${width} ${height}`} role="img" aria-labelledby="chart-title">
      <title id="chart-title">Texts per day over the last ${days.length} days: ${number.format(total)} in all. The table below has each day.</title>
      ${svg`<line class="axis" x1=${pad.left} x2=${width} y1=${y(0)} y2=${y(0)}></line>
        <text class="tick" x=${pad.left - 4} y=${y(max) + 4} text-anchor="end">${number.format(max)}</text>
        <text class="tick" x=${pad.left - 4} y=${y(0)} text-anchor="end">0</text>
        ${days.map((d, i) => {
          const x = pad.left + i * step;
          return svg`<rect class="in" x=${x} y=${y(d.textsIn)} width=${bar} height=${y(0) - y(d.textsIn)}><title>${label(d)}: ${d.textsIn} in</title></rect>
            <rect class="out" x=${x + bar + 1} y=${y(d.textsOut)} width=${bar} height=${y(0) - y(d.textsOut)}><title>${label(d)}: ${d.textsOut} out</title></rect>
            ${i % 7 === days.length % 7 ? svg`<text class="tick" x=${x} y=${height - 6}>${label(d)}</text>` : nothing}`;
        })}`}
    </svg>
    <figcaption><span class="swatch in"></span> Texts in <span class="swatch out"></span> Texts out</figcaption>
  </figure>
  <details><summary>Texts per day as a table</summary>
    <div class="table-wrap"><table class="table"><thead><tr><th scope="col">Day</th><th scope="col">In</th><th scope="col">Out</th></tr></thead>
      <tbody>${[...days].reverse().map((d) => html`<tr><td>${label(d)}</td><td>${d.textsIn}</td><td>${d.textsOut}</td></tr>`)}</tbody></table></div>
  </details>`;
}

function view() {
  const slice = state.dashboard ?? {};
  const d = slice.data;
  return html`<section class="page dashboard" aria-labelledby="dashboard-title">
    <h1 id="dashboard-title">Dashboard</h1>
    ${slice.error ? html`<p class="error" role="alert">${slice.error}</p>` : nothing}
    ${slice.loading ? html`<p class="loading" role="status">Loading…</p>` : nothing}
    ${d ? html`
      <p class="unread-now"><a href="#/?view=unread"><strong>${show(d.unread)}</strong> ${d.unread === 1 ? 'conversation' : 'conversations'} unread</a></p>
      <div class="table-wrap"><table class="table numbers">
        <thead><tr><th scope="col"><span class="visually-hidden">Measure</span></th><th scope="col">Today</th><th scope="col">7 days</th><th scope="col">30 days</th></tr></thead>
        <tbody>${ROWS.map(([name, value, detail]) => html`<tr><th scope="row">${name}</th>
          ${[d.today, d.last7Days, d.last30Days].map((p) => html`<td><span class="value">${show(value(p))}</span>${detail ? html`<span class="detail">${detail(p)}</span>` : nothing}</td>`)}</tr>`)}
        </tbody></table></div>
      <h2>Texts per day</h2>
      ${chart(d.textsPerDay)}
      <p class="hint">Days run midnight to midnight in ${d.timeZone}. Counted ${fullTime(d.computedAt)}.</p>` : nothing}
  </section>`;
}

export const dashboardPage = {
  name: 'dashboard',
  label: 'Dashboard',
  match: (path) => (path === '/dashboard' ? {} : null),
  allowed: () => true,
  enter,
  view,
};
