// The campaigns page.
import { html } from './vendor/lit-html/lit-html.js';

export const campaignsPage = {
  name: 'campaigns',
  label: 'Campaigns',
  match: (path) => (path === '/campaigns' || path.startsWith('/campaigns/') ? { rest: path.slice('/campaigns'.length + 1) } : null),
  allowed: () => true,
  enter() {},
  view: () => html`<section class="page" aria-labelledby="campaigns-title"><h1 id="campaigns-title">Campaigns</h1></section>`,
};
