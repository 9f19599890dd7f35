// The contacts page.
import { html } from './vendor/lit-html/lit-html.js';

export const contactsPage = {
  name: 'contacts',
  label: 'Contacts',
  match: (path) => (path === '/contacts' || path.startsWith('/contacts/') ? { rest: path.slice('/contacts'.length + 1) } : null),
  allowed: () => true,
  enter() {},
  view: () => html`<section class="page" aria-labelledby="contacts-title"><h1 id="contacts-title">Contacts</h1></section>`,
};
