#!/usr/bin/env bash
# The one-time tree-wide formatting pass (run by the lead once no other branch is in flight):
# Prettier (printWidth 120, Svelte plugin) over src, tests and scripts, then ESLint's fixes, then
# a list of the lines still over 120 characters (long strings and comments Prettier leaves as
# they are), to wrap by hand. Afterwards `npm run format:check && npm run lint` pass and can go
# into `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
npx prettier --write --log-level warn src tests scripts
status=0
npx eslint --fix . || status=1 # what --fix cannot fix is listed; the long lines still follow
long=$(git ls-files -co --exclude-standard src tests scripts | grep -E '\.(ts|mts|js|mjs|svelte|wgsl|css|sh)$' |
  xargs awk 'length > 120 { print FILENAME ":" FNR ": " length " characters" }')
if [ -n "$long" ]; then
  echo "Lines still over 120 characters ($(echo "$long" | wc -l)):"
  echo "$long"
  status=1
fi
[ $status -eq 0 ] && echo "format-all: formatted, lint clean, no line over 120 characters"
exit $status
