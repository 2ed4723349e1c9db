// Package keyserver is the publish half of the key server: it accepts a
// diagnosed person's Temporary Exposure Keys over POST /v1/publish, checks
// them and the health authority's verification certificate with the rules of
// Google's exposure-notifications-server, and stores them in the exposures
// table for the export worker (package keyserver/export) to sign and serve.
//
// It is wire-compatible with the reference server's publish API: the same
// JSON names, error codes, HTTP statuses, padding, chaff handling and
// revision tokens. It does not build export files, serve them, or issue
// certificates (that is package verification).
//
// Writes go through a group-commit writer (see Server.Run), which batches
// the inserts of many concurrent requests into one transaction and answers
// each request only after that transaction committed: one writer goroutine
// on SQLite, Config.Writers of them (default 3) on PostgreSQL.
package keyserver
