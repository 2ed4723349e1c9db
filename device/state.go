package device

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const stateFile = "state.bin"

var stateAD = []byte("bluezone device state v1")

// state is everything a device remembers besides its sighting log. It is
// stored as JSON sealed with the device key (it holds the device's own TEKs,
// which are secrets until published).
type state struct {
	Version int      `json:"version"`
	Config  Config   `json:"config"`
	TEKs    []ownTEK `json:"teks"`
	// InstallToken is the random install token of the daily check-in.
	InstallToken   string `json:"installToken"`
	LastCheckinDay string `json:"lastCheckinDay,omitempty"`
	// LastExport is the last line of index.txt processed by Sync.
	LastExport  string         `json:"lastExport,omitempty"`
	LastSync    time.Time      `json:"lastSync,omitzero"`
	TrustedKeys []TrustedKey   `json:"trustedKeys"`
	Risk        *RiskConfig    `json:"risk,omitempty"` // nil: DefaultRiskConfig
	Exposures   []exposure     `json:"exposures,omitempty"`
	Notified    []notified     `json:"notified,omitempty"`
	Rejected    []RejectedFile `json:"rejected,omitempty"`
	// RevisionToken is the key server's token from the last publish,
	// needed to revise the published keys later.
	RevisionToken string      `json:"revisionToken,omitempty"`
	Reports       []reportLog `json:"reports,omitempty"`
	NextChaff     time.Time   `json:"nextChaff,omitzero"`
}

// ownTEK is one of the device's own Temporary Exposure Keys.
type ownTEK struct {
	Key           []byte `json:"key"`
	RollingStart  uint32 `json:"rollingStart"`
	RollingPeriod uint32 `json:"rollingPeriod"`
	// Released is set once the key was published (it may then be cut
	// short: an early release of today's key).
	Released bool `json:"released,omitempty"`
}

func (k ownTEK) end() uint32 { return k.RollingStart + k.RollingPeriod }

// notified remembers when the user was first told about a warning.
type notified struct {
	Kind string    `json:"kind"`
	Day  string    `json:"day"`
	At   time.Time `json:"at"`
}

type reportLog struct {
	At         time.Time `json:"at"`
	ReportType string    `json:"reportType"`
	Keys       int       `json:"keys"`
}

func loadState(dir string, s *sealer) (*state, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a device directory (no %s): run init first", dir, stateFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read device state: %w", err)
	}
	plain, err := s.open(data, stateAD)
	if err != nil {
		return nil, fmt.Errorf("read device state: %w", err)
	}
	var st state
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, fmt.Errorf("read device state: %w", err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("read device state: unsupported version %d", st.Version)
	}
	return &st, nil
}

func saveState(dir string, s *sealer, st *state, sync bool) error {
	plain, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save device state: %w", err)
	}
	sealed, err := s.seal(plain, stateAD)
	if err != nil {
		return fmt.Errorf("save device state: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, stateFile), sealed, 0o600, sync); err != nil {
		return fmt.Errorf("save device state: %w", err)
	}
	return nil
}
