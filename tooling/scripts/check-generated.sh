#!/usr/bin/env bash
# Regenerates checked-in generated code and fails if that changed the tree: generated code must be
# committed (or at least staged) exactly as the generator writes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
dirs=(packages/wire/src/generated)
pnpm --filter @bond/wire run generate
if ! git diff --exit-code -- "${dirs[@]}"; then
  echo "generated code is out of date: run 'pnpm generate' and commit the result" >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- "${dirs[@]}")
if [ -n "$untracked" ]; then
  echo "generated files are not committed: $untracked" >&2
  exit 1
fi
echo "generated code is up to date"
