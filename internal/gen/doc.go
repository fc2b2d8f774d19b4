// Package gen generates synthetic Heroku logs, deterministically from a seed,
// for tests and benchmarks of herolog.
//
// The generator simulates an app with N web dynos of C workers each. Requests
// arrive as a Poisson process (with an optional rate spike), the router sends
// each one to a dyno chosen uniformly at random (as Heroku's router does),
// and each dyno serves its requests first come, first served on its C
// workers, so a slow request really delays the requests queued behind it. A
// router line is stamped with the request's completion time and its service=
// is the time spent queued in the dyno plus the app time. A request whose
// service would pass 30 s is logged as an H12 at 30 s, while the worker stays
// busy until the app finishes.
//
// Around the router lines the generator writes app lines (Rails "Started" and
// "Completed" lines, and logfmt app lines that contain service=...ms but are
// not router lines), dyno manager lines, log-runtime-metrics samples every
// 20 s per dyno, R14 memory errors and, optionally, L10 drain overflow lines.
//
// Each Scenario has one known cause of slowness (a stuck request, a slow
// route, too few dynos for a spike, a memory leak) and the Truth of a run
// says what was emitted, so analysis code can be tested against it. Output
// can be written in several formats: heroku logs CLI text, syslog (newline
// separated or octet-counted frames), Papertrail archive TSV and pre-2013
// legacy router lines.
//
// The same Config (including Seed) always produces the same bytes on a given
// platform. The package uses only the standard library.
package gen
