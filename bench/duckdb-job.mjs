// bench/duckdb-job.mjs: the DuckDB row, run through the DuckDB engine
// that test/duckdb installs from npm (@duckdb/node-api), for bench/compare.sh:
//
//   (cd test/duckdb && npm install) && node bench/duckdb-job.mjs FILE
//
// With 2 threads it reads FILE's lines as one VARCHAR column (read_csv with a
// delimiter, quote and escape that never occur), keeps the router lines, takes
// dyno= and service= out of each with regexp_extract, and prints one line per
// dyno: dyno, request count, p50, p99 and max of service in ms, H12 count.
// quantile_disc picks an observed value, as herolog's histogram does (within
// its 3 significant figures). THREADS overrides the thread count.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../test/duckdb/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/duckdb-job.mjs FILE\n');
  process.exit(2);
}
const threads = Number(process.env.THREADS || 2);
const lit = (s) => "'" + s.replaceAll("'", "''") + "'";

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
await conn.run(`SET threads=${threads}`);
const sql = `
WITH l AS (
  SELECT line FROM read_csv(${lit(file)}, columns={'line': 'VARCHAR'},
    delim=${lit('\u0001')}, quote='', escape='', header=false, auto_detect=false)
  WHERE contains(line, 'heroku[router]')
), r AS (
  SELECT regexp_extract(line, 'dyno=(\\S*)', 1) AS dyno,
         TRY_CAST(regexp_extract(line, 'service=(\\d+)', 1) AS BIGINT) AS service,
         contains(line, 'code=H12') AS h12
  FROM l
)
SELECT dyno, count(*) AS n, quantile_disc(service, 0.5) AS p50,
       quantile_disc(service, 0.99) AS p99, max(service) AS max,
       count(*) FILTER (WHERE h12) AS h12
FROM r GROUP BY dyno ORDER BY n DESC, dyno`;
const reader = await conn.runAndReadAll(sql);
for (const row of reader.getRowsJS()) {
  process.stdout.write(row.map(String).join('\t') + '\n');
}
