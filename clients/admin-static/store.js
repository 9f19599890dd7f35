// The page's one state object and its render scheduler: views change state, then call update().

export const state = {
  me: null,
  route: { name: 'loading', params: {} },
  flash: null,
  notice: null,
  help: false,
  snooze: null,
  inbox: { view: 'open', items: [], pageInfo: null, unreadTotal: null, loading: false, error: null, selectedId: null, query: '', results: null, token: 0 },
  thread: null,
};

let scheduled = false;
let renderer = () => {};

export function setRenderer(render) {
  renderer = render;
}

/** Renders once after the current task, however many changes it made. */
export function update() {
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    renderer();
  });
}

const RANK = { VIEWER: 0, MARKETER: 1, ADMIN: 2 };

/** Viewers read; marketers and admins also work conversations (the server enforces the same line). */
export function canWrite() {
  return RANK[state.me?.role] >= RANK.MARKETER;
}

export function isAdmin() {
  return state.me?.role === 'ADMIN';
}

let noticeTimer = 0;

/** A short message in the live region: what just happened, or what went wrong, in plain words. */
export function notify(text, kind = 'info') {
  state.notice = { text, kind };
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    state.notice = null;
    update();
  }, kind === 'error' ? 8000 : 4000);
  update();
}

/** Hex from the browser's random source; crypto.randomUUID needs a secure context, which a LAN http:// is not. */
export function randomKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
