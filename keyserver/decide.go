package keyserver

import "fmt"

// allowedTransition reports whether a stored key of report type from may be
// revised to report type to: likely → confirmed or negative (as in the
// reference), and Bluezone's contact → confirmed, likely or negative.
func allowedTransition(from, to string) bool {
	switch from {
	case ReportTypeLikely:
		return to == ReportTypeConfirmed || to == ReportTypeNegative
	case ReportTypeContact:
		return to == ReportTypeConfirmed || to == ReportTypeLikely || to == ReportTypeNegative
	}
	return false
}

// decide applies the revision rules of the reference server to job against
// the stored keys. It returns the job's result and the set of keys it would
// revise (updates); a job with updates must be written by writeOne.
func decide(job *writeJob, stored map[[KeyLength]byte]*storedKey) (writeResult, map[[KeyLength]byte]bool) {
	var existing []*exposure
	for i := range job.incoming {
		if _, ok := stored[job.incoming[i].key]; ok {
			existing = append(existing, &job.incoming[i])
		}
	}
	if len(existing) > 0 {
		if job.token == nil {
			if job.tokenFailed {
				return writeResult{err: &errRevision{ErrorInvalidRevisionToken, "revision token is invalid"}}, nil
			}
			return writeResult{err: &errRevision{ErrorMissingRevisionToken, "no revision token, but sent existing keys"}}, nil
		}
		allowed := make(map[[KeyLength]byte]revisableKey, len(job.token))
		for _, rk := range job.token {
			allowed[rk.key] = rk
		}
		for _, in := range existing {
			ex := stored[in.key]
			if ex.rollingStart != in.rollingStart || ex.rollingPeriod != in.rollingPeriod {
				return writeResult{err: &errRevision{ErrorBadRequest, "a published key does not match the stored key's interval metadata"}}, nil
			}
			rk, ok := allowed[in.key]
			if !ok || rk.rollingStart != ex.rollingStart || rk.rollingPeriod != ex.rollingPeriod {
				return writeResult{err: &errRevision{ErrorInvalidRevisionToken, "revision token is invalid"}}, nil
			}
		}
	}
	res := writeResult{changed: make([]exposure, 0, len(job.incoming))}
	var updates map[[KeyLength]byte]bool
	for _, in := range job.incoming {
		ex, ok := stored[in.key]
		if !ok {
			res.changed = append(res.changed, in)
			if in.reportType != ReportTypeNegative {
				res.inserted++
			}
			continue
		}
		from := reportTypeFromExport(ex.reportType)
		if from == in.reportType || (ex.revised && reportTypeFromExport(ex.revisedType) == in.reportType) {
			continue // nothing to change
		}
		if ex.revised {
			return writeResult{err: &errRevision{ErrorKeyAlreadyRevised, "key was already revised"}}, nil
		}
		if !allowedTransition(from, in.reportType) {
			return writeResult{err: &errRevision{ErrorInvalidReportTypeTransition,
				fmt.Sprintf("invalid report type transition: cannot transition from %q to %q", from, in.reportType)}}, nil
		}
		if updates == nil {
			updates = map[[KeyLength]byte]bool{}
		}
		updates[in.key] = true
		res.changed = append(res.changed, in)
	}
	return res, updates
}
