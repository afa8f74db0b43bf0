#!/bin/sh
# The baseline teams use today: the same requests as nodion-deploy's full run (snapshot, trigger,
# one poll for that deployment's status) with curl and jq.
set -eu
auth="Authorization: Bearer $NODION_API_TOKEN"
list="$NODION_API_URL/applications/$NODION_APPLICATION_ID/deployments"
before=$(curl -fsS -H "$auth" "$list" | jq '[.deployments[].deploy_number] | max // 0')
number=$(curl -fsS -X POST -H "$auth" -H 'Content-Type: application/json' -d '{}' "$list" |
  jq -r '.deployment.deploy_number')
[ "$number" -gt "$before" ]
status=$(curl -fsS -H "$auth" "$list" |
  jq -r --argjson n "$number" '.deployments[] | select(.deploy_number == $n) | .status')
[ "$status" = available ]
