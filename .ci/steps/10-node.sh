#!/usr/bin/env bash
# Installs the independent Parquet reader (DuckDB's @duckdb/node-api, native
# binding from the npm registry) for cmd/herolog's TestExportDuckDB, which
# fails rather than skips when CI is set.
set -euo pipefail
cd "$(dirname "$0")/../../test/duckdb"
npm ci --no-audit --no-fund
