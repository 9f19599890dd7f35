// PostGraphile 5 for bench/Peer/run.sh: the same database as our server, read through a role that may only SELECT
// the three tables the scenarios read (PgRBACPlugin hides every other table and every mutation).
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { jsonPgSmartTags } from "postgraphile/utils";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

const connectionString = process.env.PEER_DATABASE_URL;
if (!connectionString) {
  throw new Error("PEER_DATABASE_URL is not set");
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  // Amber only filters and orders by indexed columns; the scenarios order and filter like our server does, index or not.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  plugins: [
    // Conversations.LastActivityId has no foreign key in our schema: a virtual one lets
    // PostGraphile join the last activity, as our server does.
    jsonPgSmartTags({
      version: 1,
      config: {
        class: {
          Conversations: { tags: { foreignKey: '("LastActivityId") references "Activities" ("Id")|@fieldName lastActivity' } },
        },
      },
    }),
  ],
  pgServices: [makePgService({ connectionString, schemas: ["public"] })],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PEER_PORT ?? 5678),
    graphiql: false,
    // Only for run.sh's readiness probe, a GET like our server's /health/ready; the scenarios are POSTed.
    graphqlOverGET: true,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
