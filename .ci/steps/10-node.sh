#!/usr/bin/env bash
# Installs the independent Parquet reader (DuckDB's @duckdb/node-api, native
# binding from the npm registry) for cmd/herolog's TestExportDuckDB, which
# fails rather than skips when CI is set.
set -euo pipefail
cd "$(dirname "$0")/../../test/duckdb"
# `npm ci` refuses this lock file: the registry here does not list the
# other platforms' optional binding packages, so the lock cannot name them
# and ci calls it out of sync. `npm install` with the committed lock file
# installs exactly the locked versions of what this platform needs.
npm install --no-audit --no-fund
