// Package gaen implements the Exposure Notification (GAEN) cryptography v1.2 bit-exactly: 10-minute interval
// numbers, Temporary Exposure Keys (TEKs), the key derivations RPIK and AEMK (HKDF-SHA256), Rolling Proximity
// Identifiers (AES-128), Associated Encrypted Metadata (AES-128-CTR), the 31-byte BLE advertisement payload,
// and the matching of heard identifiers against published diagnosis keys.
//
// The package is pure: no I/O, no clock (callers pass times and interval numbers), no storage. It is not a
// device agent (key schedule, sighting log and risk scoring live in package device) and not an export file
// codec (package exportfile).
//
// Sources: the Exposure Notification Cryptography Specification v1.2.1 and Bluetooth Specification v1.2.2, and
// Google's reference client (exposure-notifications-internals); see docs/ARCHITECTURE.md.
package gaen
