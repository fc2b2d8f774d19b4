// Package aggregate turns parsed records into numbers.
//
// An Aggregator keeps, per group (dyno, route, host, status or minute) and
// in total, HDR histograms of the router's service and connect times and of
// the legacy queue wait, with exact counts, sums and maxima, status classes
// and Heroku error codes. Add is O(1) per record and allocates nothing once
// a key has been seen; distinct keys are capped (the rest fold into an
// "other" group) so memory stays flat however large the input. Merge
// combines partial results (parallel chunks, several files). Report
// computes quantiles once, at the end, into a plain-data Report with JSON
// tags, which every renderer uses.
//
// Units: durations are whole milliseconds; quantiles keep three significant
// digits (within 0.1% of the exact nearest-rank value) and never exceed the
// exact maximum; rates are requests per second.
package aggregate
