// bench/Peer/run.sh's harness: the read scenarios of issue 17 against our server and PostGraphile 5 on the same
// database. It first checks that both return the same rows and columns (exit 1 on a mismatch), then measures each
// scenario with autocannon, alternating the servers in short rounds, and prints a Markdown table.
//
//   PEER_OURS_KEY=<API key> node peer.mjs --ours URL --theirs URL --contact UUID [--seconds 5] [--rounds 2]
//                 [--warmup 3] [--connections 1,8] [--check-only]
// The key comes from the environment, not the command line, where any process list would show it.
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const { values: args } = parseArgs({
  options: {
    ours: { type: "string" },
    theirs: { type: "string" },
    contact: { type: "string" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "2" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "1,8" },
    "check-only": { type: "boolean", default: false },
  },
});
const apiKey = process.env.PEER_OURS_KEY;
if (!apiKey) {
  console.error("error: PEER_OURS_KEY (an API key of our server) is not set");
  process.exit(2);
}
for (const name of ["ours", "theirs", "contact"]) {
  if (!args[name]) {
    console.error(`error: --${name} is required`);
    process.exit(2);
  }
}
const seconds = positive("seconds");
const rounds = positive("rounds");
const warmup = Number(args.warmup);
const connectionCounts = args.connections.split(",").map(Number);
if (!Number.isInteger(warmup) || warmup < 0 || connectionCounts.some((c) => !Number.isInteger(c) || c < 1)) {
  console.error("error: --warmup is a whole number of seconds, --connections a list of counts such as 1,8");
  process.exit(2);
}

function positive(name) {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`error: --${name} must be a positive integer, not '${args[name]}'`);
    process.exit(2);
  }
  return value;
}

const servers = {
  ours: { label: "ours", url: new URL("/graphql", args.ours).href, headers: { authorization: `Bearer ${apiKey}` } },
  theirs: { label: "PostGraphile", url: new URL("/graphql", args.theirs).href, headers: {} },
};

// ---------------------------------------------------------------------------------------------------------------
// Normalization: each side's answer becomes a list of rows { key, columns } in the same canonical form.
// ---------------------------------------------------------------------------------------------------------------

/** Our ids are base64url("Type:guid without dashes"); PostGraphile's rowId is the uuid itself. */
const ourKey = (id) => {
  const text = Buffer.from(id, "base64url").toString("utf8");
  return text.slice(text.indexOf(":") + 1).replaceAll("-", "").toLowerCase();
};
const theirKey = (uuid) => uuid.replaceAll("-", "").toLowerCase();

/** An instant to the microsecond, whatever the offset and the number of fraction digits the server printed. */
const instant = (text) => {
  if (text == null) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return `unparsed:${text}`;
  const secondsSinceEpoch = Date.parse(m[1] + m[3]) / 1000;
  return `${secondsSinceEpoch}.${(m[2] ?? "").padEnd(6, "0").slice(0, 6)}`;
};

/** Our enums are CONSTANT_CASE, PostGraphile hands out the stored text ("Message"). */
const constant = (text) => (text == null ? null : text.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase());

/**
 * Our displayName, computed by the server (Contact.DisplayName): the name, else the phone in national format. A
 * PostGraphile client computes it from firstName, lastName and phone; only US numbers are formatted here, which is
 * all the generated dataset has.
 */
const displayName = ({ firstName, lastName, phone }) => {
  const name = `${firstName ?? ""} ${lastName ?? ""}`.trim();
  if (name) return name;
  const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(phone ?? "");
  return us ? `(${us[1]}) ${us[2]}-${us[3]}` : (phone ?? "Unknown contact");
};

const inboxRowOurs = (n) => ({
  key: ourKey(n.id),
  columns: {
    unread: n.unread,
    lastActivityAt: instant(n.lastActivityAt),
    contactName: n.contact?.displayName ?? null,
    contactPhone: n.contact?.phone ?? null,
    lastKind: constant(n.lastActivity?.kind ?? null),
    lastBody: n.lastActivity?.body ?? null,
    lastAt: instant(n.lastActivity?.occurredAt ?? null),
  },
});
const inboxRowTheirs = (n) => ({
  key: theirKey(n.rowId),
  columns: {
    unread: n.unreadCount > 0,
    lastActivityAt: instant(n.lastActivityAt),
    contactName: n.contactByContactId ? displayName(n.contactByContactId) : null,
    contactPhone: n.contactByContactId?.phone ?? null,
    lastKind: constant(n.lastActivity?.kind ?? null),
    lastBody: n.lastActivity?.body ?? null,
    lastAt: instant(n.lastActivity?.occurredAt ?? null),
  },
});
const withPage = (rows, pageInfo) => [...rows, { key: "pageInfo.hasNextPage", columns: { value: pageInfo.hasNextPage } }];

const contactRowOurs = (n, extra = {}) => ({ key: ourKey(n.id), columns: { displayName: n.displayName, phone: n.phone, ...extra } });
const contactRowTheirs = (n, extra = {}) => ({ key: theirKey(n.rowId), columns: { displayName: displayName(n), phone: n.phone, ...extra } });

// Our texts are those of bench/Crm.Bench/Queries/Scenarios.cs; PostGraphile's ask for the same rows in the same order,
// with the id as the last sort key where ours breaks ties on it.
const ourInbox = "nodes { id unread lastActivityAt contact { displayName phone } lastActivity { kind body occurredAt } } pageInfo { endCursor hasNextPage }";
const theirInbox = "nodes { rowId unreadCount lastActivityAt contactByContactId { firstName lastName phone } lastActivity { kind body occurredAt } } pageInfo { endCursor hasNextPage }";
const inboxOrder = "orderBy: [LAST_ACTIVITY_AT_DESC, ROW_ID_DESC]";

const scenarios = [
  {
    name: "inbox first page",
    ours: { query: `query { conversations(first: 50) { ${ourInbox} } }` },
    theirs: { query: `query { allConversations(first: 50, ${inboxOrder}) { ${theirInbox} } }` },
    rowsOurs: (d) => withPage(d.conversations.nodes.map(inboxRowOurs), d.conversations.pageInfo),
    rowsTheirs: (d) => withPage(d.allConversations.nodes.map(inboxRowTheirs), d.allConversations.pageInfo),
  },
  {
    name: "unread inbox",
    ours: { query: `query { conversations(first: 50, where: { unreadCount: { gt: 0 } }) { ${ourInbox} } }` },
    theirs: { query: `query { allConversations(first: 50, ${inboxOrder}, filter: { unreadCount: { greaterThan: 0 } }) { ${theirInbox} } }` },
    rowsOurs: (d) => withPage(d.conversations.nodes.map(inboxRowOurs), d.conversations.pageInfo),
    rowsTheirs: (d) => withPage(d.allConversations.nodes.map(inboxRowTheirs), d.allConversations.pageInfo),
  },
  {
    name: "contacts with tag",
    ours: { query: 'query { contacts(first: 50, where: { tags: { some: { eq: "vip" } } }) { nodes { id displayName phone tags } } }' },
    // Our default contact order: newest first.
    theirs: { query: 'query { allContacts(first: 50, orderBy: [CREATED_AT_DESC, ROW_ID_DESC], filter: { tags: { contains: ["vip"] } }) { nodes { rowId firstName lastName phone tags } } }' },
    rowsOurs: (d) => d.contacts.nodes.map((n) => contactRowOurs(n, { tags: JSON.stringify(n.tags) })),
    rowsTheirs: (d) => d.allContacts.nodes.map((n) => contactRowTheirs(n, { tags: JSON.stringify(n.tags) })),
  },
  {
    name: "contact timeline (last 50)",
    ours: {
      query: "query($id: ID!) { contact(id: $id) { displayName activities(first: 50) { nodes { kind direction body occurredAt } } } }",
      variables: { id: Buffer.from(`Contact:${theirKey(args.contact)}`).toString("base64url") },
    },
    theirs: {
      query: "query($id: UUID!) { contactByRowId(rowId: $id) { firstName lastName phone activitiesByContactId(first: 50, orderBy: [OCCURRED_AT_DESC, ROW_ID_DESC]) { nodes { kind direction body occurredAt } } } }",
      variables: { id: args.contact },
    },
    rowsOurs: (d) => timelineRows(d.contact.displayName, d.contact.activities.nodes),
    rowsTheirs: (d) => timelineRows(displayName(d.contactByRowId), d.contactByRowId.activitiesByContactId.nodes),
  },
  {
    name: "contacts by last-name prefix",
    // Both case-insensitive: ours is lower() LIKE on a trigram index, PostGraphile's startsWithInsensitive is ILIKE on
    // the column, which no index of the schema serves.
    ours: { query: 'query { contacts(first: 50, where: { lastName: { startsWith: "Sm" } }, order: [{ lastName: ASC }, { firstName: ASC }]) { nodes { id displayName phone } } }' },
    theirs: { query: 'query { allContacts(first: 50, orderBy: [LAST_NAME_ASC, FIRST_NAME_ASC, ROW_ID_ASC], filter: { lastName: { startsWithInsensitive: "Sm" } }) { nodes { rowId firstName lastName phone } } }' },
    rowsOurs: (d) => d.contacts.nodes.map((n) => contactRowOurs(n)),
    rowsTheirs: (d) => d.allContacts.nodes.map((n) => contactRowTheirs(n)),
  },
  {
    name: "{ __typename }",
    ours: { query: "{ __typename }" },
    theirs: { query: "{ __typename }" },
    rowsOurs: (d) => [{ key: "__typename", columns: { value: d.__typename } }],
    rowsTheirs: (d) => [{ key: "__typename", columns: { value: d.__typename } }],
  },
];

/** Timeline rows have no id selected: keyed by position and instant, the contact's name as a row of its own. */
function timelineRows(name, nodes) {
  return [
    { key: "contact", columns: { displayName: name } },
    ...nodes.map((n, i) => ({
      key: `${i}@${instant(n.occurredAt)}`,
      columns: { kind: constant(n.kind), direction: constant(n.direction), body: n.body ?? null },
    })),
  ];
}

for (const s of scenarios) {
  for (const side of ["ours", "theirs"]) {
    s[side].body = JSON.stringify({ query: s[side].query, variables: s[side].variables ?? null });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Equivalence
// ---------------------------------------------------------------------------------------------------------------

async function fetchData(server, request) {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...server.headers },
    body: request.body,
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${server.label} answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  if (!response.ok || json.errors) {
    throw new Error(`${server.label} answered HTTP ${response.status}: ${JSON.stringify(json.errors ?? json).slice(0, 500)}`);
  }
  return json.data;
}

/** The differences between two row lists, at most a few, described; empty when they agree. */
function compare(ours, theirs) {
  const problems = [];
  if (ours.length !== theirs.length) problems.push(`row count: ours ${ours.length}, PostGraphile ${theirs.length}`);
  for (let i = 0; i < Math.min(ours.length, theirs.length) && problems.length < 5; i++) {
    const a = ours[i];
    const b = theirs[i];
    if (a.key !== b.key) {
      problems.push(`row ${i}: key ours ${a.key}, PostGraphile ${b.key}`);
      continue;
    }
    for (const column of new Set([...Object.keys(a.columns), ...Object.keys(b.columns)])) {
      if (a.columns[column] !== b.columns[column]) {
        problems.push(`row ${i} (${a.key}) ${column}: ours ${JSON.stringify(a.columns[column])}, PostGraphile ${JSON.stringify(b.columns[column])}`);
      }
    }
  }
  return problems;
}

let mismatched = 0;
console.log("### Equivalence\n");
for (const s of scenarios) {
  let rows;
  let problems;
  try {
    const [a, b] = await Promise.all([fetchData(servers.ours, s.ours), fetchData(servers.theirs, s.theirs)]);
    rows = s.rowsOurs(a);
    problems = compare(rows, s.rowsTheirs(b));
    // A scenario that returns nothing proves nothing: the dataset must give each one rows.
    if (rows.filter((r) => !r.key.startsWith("pageInfo")).length === 0) problems.push("no rows on either side");
  } catch (error) {
    problems = [error.message];
  }
  if (problems.length) {
    mismatched++;
    console.log(`- **MISMATCH** ${s.name}:`);
    for (const p of problems) console.log(`  - ${p}`);
  } else {
    console.log(`- same rows and columns: ${s.name} (${rows.length} rows compared)`);
  }
}
console.log();
console.log(`Differences in what the servers can express, and how the comparison bridges them:
- Our \`displayName\` is the server's (the name, else the phone in national format); from PostGraphile it is computed
  by the client from firstName, lastName and phone. Our \`unread\` is \`unreadCount > 0\`; our enums are CONSTANT_CASE.
- Our inbox hides conversations snoozed into the future; PostGraphile cannot say "now" in a filter, so run.sh clears
  every future snooze first and both inboxes are the whole list (ours still pays for its condition).
- Name prefix: both case-insensitive; ours is lower() LIKE, served by a trigram index, PostGraphile's
  startsWithInsensitive is ILIKE on the column, which no index serves.
- \`{ __typename }\`: ours with the API key, as integrators call it; PostGraphile without authentication.
`);
if (mismatched) {
  console.error(`error: ${mismatched} scenario(s) differ between the servers; nothing measured`);
  process.exit(1);
}
if (args["check-only"]) process.exit(0);

// ---------------------------------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------------------------------

/** One autocannon round; latencies are taken from each response (autocannon's own histogram is whole milliseconds). */
function round(server, request, connections, duration) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const instance = autocannon(
      {
        url: server.url,
        method: "POST",
        connections,
        duration,
        headers: { "content-type": "application/json", accept: "application/json", ...server.headers },
        body: request.body,
        // A 200 with errors is a failure in GraphQL: counted as a mismatch, and a round with any is not a result.
        verifyBody: (body) => !body.includes('"errors"'),
      },
      (error, result) => (error ? reject(error) : resolve({ result, latencies })),
    );
    instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);

function summarize(runs) {
  let requests = 0;
  let duration = 0;
  let failed = 0;
  const latencies = [];
  for (const { result, latencies: l } of runs) {
    requests += result.requests.total;
    duration += result.duration;
    failed += result.errors + result.timeouts + result.non2xx + result.mismatches;
    for (const ms of l) latencies.push(ms);
  }
  latencies.sort((a, b) => a - b);
  return { rps: requests / duration, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed };
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "–");

const table = [];
let failures = 0;
for (const s of scenarios) {
  if (warmup > 0) {
    for (const side of ["ours", "theirs"]) await round(servers[side], s[side], Math.max(...connectionCounts), warmup);
  }
  for (const connections of connectionCounts) {
    const runs = { ours: [], theirs: [] };
    for (let r = 0; r < rounds; r++) {
      // Alternated, so a drift of the machine's load touches both servers alike.
      for (const side of ["ours", "theirs"]) runs[side].push(await round(servers[side], s[side], connections, seconds));
    }
    const ours = summarize(runs.ours);
    const theirs = summarize(runs.theirs);
    failures += ours.failed + theirs.failed;
    table.push(
      `| ${s.name} | ${connections} | ${fmt(ours.rps)} | ${fmt(theirs.rps)} | ${fmt(ours.rps / theirs.rps, 2)}× | ` +
        `${fmt(ours.p50, 2)} / ${fmt(ours.p99, 2)} | ${fmt(theirs.p50, 2)} / ${fmt(theirs.p99, 2)} | ${ours.failed} / ${theirs.failed} |`,
    );
    console.error(`measured: ${s.name}, ${connections} connection(s)`);
  }
}

console.log(`### Throughput (${rounds} × ${seconds} s per server, scenario and connection count, alternated; warm-up ${warmup} s each)\n`);
console.log("| scenario | connections | req/s ours | req/s PostGraphile | ratio ours / PostGraphile | p50 / p99 ms ours | p50 / p99 ms PostGraphile | failed ours / PostGraphile |");
console.log("|---|---|---|---|---|---|---|---|");
for (const line of table) console.log(line);
console.log();
if (failures) {
  console.error(`error: ${failures} request(s) failed (errors, timeouts, non-2xx or GraphQL errors): the numbers are not valid`);
  process.exit(1);
}
