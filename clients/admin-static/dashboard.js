// The dashboard page.
import { html } from './vendor/lit-html/lit-html.js';

export const dashboardPage = {
  name: 'dashboard',
  label: 'Dashboard',
  match: (path) => (path === '/dashboard' || path.startsWith('/dashboard/') ? { rest: path.slice('/dashboard'.length + 1) } : null),
  allowed: () => true,
  enter() {},
  view: () => html`<section class="page" aria-labelledby="dashboard-title"><h1 id="dashboard-title">Dashboard</h1></section>`,
};
