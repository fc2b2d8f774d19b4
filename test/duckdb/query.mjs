// query.mjs runs SQL statements with DuckDB (@duckdb/node-api) and prints
// each result as a JSON array of row objects, one line per statement. It is
// the independent reader of herolog's Parquet files in the Go tests:
//   node query.mjs "select count(*) from 'requests.parquet'" ...
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
for (const sql of process.argv.slice(2)) {
  const reader = await conn.runAndReadAll(sql);
  const rows = reader.getRowObjectsJson();
  process.stdout.write(JSON.stringify(rows) + '\n');
}
