// The admin section: staff, and the tools only admins use.
import { html, nothing } from './vendor/lit-html/lit-html.js';
import { gql } from './api.js';
import { isAdmin, state, update } from './store.js';

async function loadUsers() {
  state.users = { loading: true };
  update();
  try {
    const data = await gql('{ users(first: 100) { nodes { id email displayName role isActive lastLoginAt } } }');
    state.users = { items: data.users.nodes };
  } catch (error) {
    state.users = { error: error.message };
  }

  update();
}

function adminView() {
  const users = state.users ?? {};
  return html`<section class="page" aria-labelledby="admin-title">
    <h1 id="admin-title">Admin</h1>
    <h2>Staff</h2>
    ${users.error ? html`<p class="error" role="alert">${users.error}</p>` : nothing}
    ${users.loading ? html`<p>Loading…</p>` : nothing}
    ${users.items ? html`<table class="table"><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th>
      <th scope="col">Active</th><th scope="col">Last sign-in</th></tr></thead><tbody>
      ${users.items.map((u) => html`<tr><td>${u.displayName}</td><td>${u.email}</td><td>${u.role.toLowerCase()}</td>
        <td>${u.isActive ? 'yes' : 'no'}</td><td>${u.lastLoginAt ? new Date(u.lastLoginAt).toLocaleString() : 'never'}</td></tr>`)}
      </tbody></table>` : nothing}
  </section>`;
}

export const adminPage = {
  name: 'admin',
  label: 'Admin',
  match: (path) => (path === '/admin' || path.startsWith('/admin/') ? { tab: path.slice('/admin/'.length) || 'staff' } : null),
  allowed: isAdmin,
  enter: loadUsers,
  view: adminView,
};
