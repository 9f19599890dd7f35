#!/usr/bin/env bash
# Adds a migration to both providers' sets: scripts/add-migration.sh AddCampaignSchedule
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/add-migration.sh <PascalCaseName>}
dotnet tool restore >/dev/null
for provider in Postgres Sqlite; do
  dotnet ef migrations add "$name" --project src/Crm.Data --startup-project src/Crm.Data \
    --context "${provider}CrmDbContext" --output-dir "Migrations/$provider"
done
