#!/usr/bin/env bash
# Posts a correctly signed OpenPhone webhook delivery to a running server, for manual checks.
#
#   OPENPHONE_SIGNING_KEY=<key> scripts/sign-webhook.sh <payload.json> [url]
#
# The key is one of the server's OpenPhone:WebhookSigningKeys: a legacy base64 key signs with
# `openphone-signature: hmac;1;<ms>;<base64>`, a `whsec_…` key with Standard Webhooks headers
# (webhook-id, webhook-timestamp, webhook-signature). The body is sent byte for byte as in the file.
# Prints the HTTP status. Needs bash, openssl, curl, base64 and od.
set -euo pipefail

file=${1:?usage: OPENPHONE_SIGNING_KEY=<key> scripts/sign-webhook.sh <payload.json> [url]}
url=${2:-http://localhost:5080/webhook/openphone}
key=${OPENPHONE_SIGNING_KEY:?set OPENPHONE_SIGNING_KEY to one of the server\'s OpenPhone:WebhookSigningKeys}

# HMAC-SHA256 of stdin with the base64-decoded key, base64 out.
hmac() {
  local hexkey
  hexkey=$(printf '%s' "$1" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary | base64 | tr -d '\n'
}

headers=()
if [[ "$key" == whsec_* ]]; then
  id="msg_$(date +%s%N)"
  ts=$(date +%s)
  sig=$({ printf '%s.%s.' "$id" "$ts"; cat "$file"; } | hmac "${key#whsec_}")
  headers=(-H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig")
else
  ts=$(date +%s%3N)
  sig=$({ printf '%s.' "$ts"; cat "$file"; } | hmac "$key")
  headers=(-H "openphone-signature: hmac;1;$ts;$sig")
fi

curl -sS -o /dev/null -w '%{http_code}\n' -X POST "$url" -H 'Content-Type: application/json' "${headers[@]}" --data-binary "@$file"
