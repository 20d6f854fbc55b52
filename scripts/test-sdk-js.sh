#!/usr/bin/env bash
# The JavaScript SDK's tests (sdk/js): installs its one dev dependency (TypeScript) when the
# lock file changed, builds, and runs `npm test` against a real `shorturl serve` of .venv.
set -euo pipefail
cd "$(dirname "$0")/../sdk/js"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "FAILED: the JavaScript SDK's tests need Node.js 18 or later and npm, and" \
         "$(command -v node >/dev/null 2>&1 && echo npm || echo node) is not installed" \
         "(Debian: apt-get install nodejs npm)." >&2
    exit 1
fi
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
    echo "FAILED: the JavaScript SDK's tests need Node.js 18 or later, not $(node --version)." >&2
    exit 1
fi
# npm ci leaves node_modules/.package-lock.json; newer than the lock file means up to date.
if [ ! node_modules/.package-lock.json -nt package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npm test
