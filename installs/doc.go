// Package installs counts the app's installations anonymously and turns the
// counts into the figures the ministry and the provinces follow: installs and
// active devices per province and district and day, rates against population
// denominators, rankings, progress toward targets, officially reported
// figures imported from CSV, and agencies' deployment reports.
//
// Devices check in once a day (POST /v1/installs/checkin) with a random
// install token; the server keeps only an HMAC of it, the province and
// district, and the day number of the last check-in. A batching writer
// (Server.Run) groups check-ins into one transaction and keeps per-day
// aggregate counters up to date incrementally, so reports read a few hundred
// rows however many devices exist (see aggregate.go for how "active within N
// days" stays exact).
//
// Read side: Server.National and Server.Province return the view types of
// report.go, which the dashboard renders and the /data/… downloads serialise
// (formatted by FormatRate and FormatCount so both show the same text).
//
// It is not the dashboard (package dashboard renders pages) and it does not
// authenticate people: the admin API asks an injected Authorize function for
// the caller's realm.
package installs
