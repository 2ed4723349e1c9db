// Package device is the agent of one phone: it keeps the phone's daily
// Temporary Exposure Keys and broadcasts their identifiers through a radio,
// logs the identifiers it hears (encrypted at rest), downloads and verifies
// the health authority's export files, matches them on the phone, scores the
// resulting exposure windows with a daily-summary risk configuration, and
// warns its user as F1 (exposed to a confirmed or clinically diagnosed case)
// or F2 (exposed to an F1 whom a health worker authorised to warn others).
// With a code from a health worker, and only with the user's explicit
// consent, it publishes its recent keys.
//
// The only data that leave the device are the ones the protocol needs: the
// verification code and a random HMAC key's tekmac (POST /api/verify and
// /api/certificate), the user's own keys after consent (POST /v1/publish),
// indistinguishable chaff requests, and a once-a-day anonymous install
// check-in (random install token, province, district, platform, app
// version). Sightings never leave the device, and no server request can make
// the device upload anything.
//
// The public API is kept bindable with gomobile: methods take and return
// strings, byte slices, numbers, errors and pointers to structs of those, and
// lists are returned as small list types with Len and At. It depends only on
// gaen (cryptography and matching), exportfile (export files) and radio (the
// BLE interface); it never imports server packages.
//
// What it is not: a radio driver (package radio), the matching core (gaen),
// or an export-file codec (exportfile).
package device
