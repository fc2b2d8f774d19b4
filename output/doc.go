// Package output renders reports for people and programs.
//
// A registry maps format names ("table", "json", "csv", "markdown") to
// Renderer functions; Formats feeds the CLI's --format choices, so help and
// validation never drift. Every renderer reads the same aggregate.Report.
// Text that comes from logs (paths, hosts, descriptions, file names) goes
// through Sanitize before it reaches a terminal; JSON and CSV escape it with
// their own rules.
package output
