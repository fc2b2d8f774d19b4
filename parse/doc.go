// Package parse turns Heroku log bytes into typed records.
//
// It reads every format a Heroku user meets, detected per record so a mixed
// archive just works:
//
//   - `heroku logs` CLI output (TS source[dyno]: msg), with or without
//     --force-colors ANSI codes, 0–9 fraction digits and any UTC offset;
//   - Logplex syslog (RFC 5424 as Heroku sends it, without the structured
//     data field, and the "- -" form), one per line or as RFC 6587
//     octet-counted frames back to back (HTTPS drain bodies);
//   - Papertrail archive rows (10 tab-separated columns) and Papertrail's
//     text form (Jan 08 10:55:11 app heroku/router:  msg);
//   - the pre-2013 router format with queue= and wait=, and legacy
//     "Error H11 (Backlog too deep) -> GET ..." lines;
//   - bare message bodies pasted without an envelope.
//
// Router messages are read as key=value pairs in any order; empty values
// are Missing, not zero. Dyno manager lines (state changes, R-codes,
// "Process running mem="), runtime metrics (sample#...) and Logplex L-codes
// are recognised; application lines are counted and never mistaken for
// router lines.
//
// Parser parses one record; Reader splits a stream into records and parses
// them. Neither allocates per record in the steady state: numeric fields
// are parsed by hand, timestamps too (with a per-minute cache), repeated
// strings are interned, and the other fields are views into the input
// buffer, valid until the next record (see Record).
//
// Bad input is data: a record that cannot be read gets KindMalformed,
// KindUnparsed or KindOversize and a Problem, and reading goes on. Only I/O
// errors end a Reader.
//
// This package imports nothing from the rest of herolog and no third-party
// module.
package parse
