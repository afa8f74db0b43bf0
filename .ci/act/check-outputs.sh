#!/usr/bin/env bash
# Checks the outputs of one run of the action that deployed to the fake Nodion API (lifecycle
# created, deploying, available: a git app built from its Dockerfile). Every output arrives in an
# environment variable of the same name, upper-cased (RESULT, DEPLOY_NUMBER, …). APP names the
# application the run was given (default app-1, the fake's default): its outputs must name it.
# Used by .ci/act/workflow.yml (under act, from .ci/act.sh) and by the action job of ci.yml.
set -euo pipefail
APP=${APP:-app-1}
problems=0
check() { # NAME VALUE EXTENDED-REGEX
  if [[ $2 =~ $3 ]]; then
    printf '%-16s %s\n' "$1" "${2%%$'\n'*}"
  else
    printf '%-16s %q does not match %s\n' "$1" "$2" "$3"
    problems=$((problems + 1))
  fi
}
check result "$RESULT" '^success$'
check deployment_id "$DEPLOYMENT_ID" '^[0-9a-f-]{36}$'
check deploy_number "$DEPLOY_NUMBER" '^[1-9][0-9]*$'
check status "$STATUS" '^available$'
check git_sha "$GIT_SHA" '^[0-9a-f]{40}$'
check image_reference "$IMAGE_REFERENCE" '^$'
check strategy "$STRATEGY" '^dockerfile$'
check created_at "$CREATED_AT" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$'
check commit_message "$COMMIT_MESSAGE" '.'
check elapsed_seconds "$ELAPSED_SECONDS" '^[0-9]+$'
# No verify_url in these runs: no URL, and nothing checked.
check url "$URL" '^$'
check verified "$VERIFIED" '^$'
# Our own trigger's deployment (never attached to, nor adopted), of the application we were given.
check origin "$ORIGIN" '^triggered$'
check application_id "$APPLICATION_ID" "^$APP\$"
# A success needs no rollback (and none was asked).
check rollback "$ROLLBACK" '^$'
check rollback_deploy_number "$ROLLBACK_DEPLOY_NUMBER" '^$'
check rollback_image_tag "$ROLLBACK_IMAGE_TAG" '^$'
if [ "$problems" != 0 ]; then
  echo "::error title=outputs::$problems output(s) not as expected"
  exit 1
fi
echo "every output as expected"
