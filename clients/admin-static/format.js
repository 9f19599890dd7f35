// How times, numbers and states read on the page. Pure functions: nothing here touches the DOM.

/** +16175550123 → (617) 555-0123; other numbers stay in E.164. */
export function formatPhone(e164) {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164 ?? '');
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : (e164 ?? '');
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayAndMonth = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "now", "5 min. ago", "3 hr. ago", then the date: what an inbox row shows. */
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return '';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'now';
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
  if (abs < 7 * 86400) return relative.format(Math.round(seconds / 86400), 'day');
  return dayAndMonth.format(new Date(iso));
}

export function clockTime(iso) {
  return iso ? timeOfDay.format(new Date(iso)) : '';
}

export function fullTime(iso) {
  return iso ? full.format(new Date(iso)) : '';
}

/** 75 → "1:15". */
export function duration(seconds) {
  if (seconds == null) return '';
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function money(dollars) {
  return dollars == null ? '' : `$${dollars.toFixed(dollars < 1 ? 3 : 2)}`;
}

const STATUS_WORDS = {
  QUEUED: 'Queued',
  SENDING: 'Sending',
  SENT: 'Sent',
  DELIVERED: 'Delivered',
  FAILED: 'Failed',
  SKIPPED: 'Not sent',
  CANCELLED: 'Cancelled',
  PENDING: 'Sending…',
};

export function statusWord(status) {
  return STATUS_WORDS[status] ?? status ?? '';
}

/** Snooze presets, from the browser's clock and zone. */
export function snoozePresets(now = new Date()) {
  const at = (days, hour) => {
    const d = new Date(now);
    d.setDate(d.getDate() + days);
    d.setHours(hour, 0, 0, 0);
    return d;
  };
  const daysToMonday = ((8 - now.getDay()) % 7) || 7;
  return [
    { key: '1', label: 'In 1 hour', until: new Date(now.getTime() + 3600_000) },
    { key: '2', label: 'In 3 hours', until: new Date(now.getTime() + 3 * 3600_000) },
    { key: '3', label: 'Tomorrow 8:00', until: at(1, 8) },
    { key: '4', label: 'Next Monday 8:00', until: at(daysToMonday, 8) },
  ];
}
