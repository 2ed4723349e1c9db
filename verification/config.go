package verification

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
)

// Config holds the service's tunable settings. Start from DefaultConfig and
// change what you need; New calls Validate.
type Config struct {
	// CodeTTL is how long an 8-digit short code can be verified (reference: 15 min).
	CodeTTL time.Duration
	// LongCodeTTL is how long the 16-character long code can be verified (24 h).
	LongCodeTTL time.Duration
	// TokenTTL is how long a verification token can be exchanged (24 h).
	TokenTTL time.Duration
	// CertificateTTL is the lifetime of a verification certificate (15 min).
	CertificateTTL time.Duration
	// CertificateSkew is subtracted from nbf to allow for clock differences.
	CertificateSkew time.Duration
	// MaxDateAge is how far back a symptom-onset or test date may lie (28 days).
	MaxDateAge time.Duration
	// CleanupAge is the age after which codes and tokens are deleted (48 h).
	CleanupAge time.Duration
	// CleanupInterval is how often Run deletes old rows.
	CleanupInterval time.Duration
	// RetiredKeyRetention is how long a retired signing key is still listed by
	// PublicKeys (it signed nothing after retirement, so anything longer than
	// CertificateTTL is enough).
	RetiredKeyRetention time.Duration

	// TokenIssuer is the iss and aud of the device tokens this server signs
	// for itself (they never leave the verify → certificate exchange).
	TokenIssuer string
	// DefaultAudience is the certificate aud given to new realms.
	DefaultAudience string
	// DefaultDailyQuota is the per-realm daily limit on issued codes given to
	// new realms; 0 means unlimited.
	DefaultDailyQuota int

	// Guessing defence on /api/verify (in memory, per process). A client
	// (identified by a keyed hash of its address) that sends ClientMaxFailures
	// wrong codes within ClientWindow is locked out for ClientLockout; a device
	// API key that collects KeyMaxFailures wrong codes within KeyWindow is
	// locked out until the window ends (at least KeyLockout).
	ClientMaxFailures int
	ClientWindow      time.Duration
	ClientLockout     time.Duration
	KeyMaxFailures    int
	KeyWindow         time.Duration
	KeyLockout        time.Duration
	// MaxTrackedClients bounds the memory of the per-client counters.
	MaxTrackedClients int
	// ClientIPHeader, when set (e.g. "X-Forwarded-For"), names the header a
	// trusted reverse proxy puts the client address in; its first entry is
	// used. Empty means the connection's remote address.
	ClientIPHeader string

	// MaxBody is the request body limit in bytes.
	MaxBody int64
	// PaddingMin and PaddingMax bound the random bytes put (base64-encoded)
	// into every response's padding field.
	PaddingMin, PaddingMax int
}

// DefaultConfig returns the reference server's numbers and our guessing
// limits (see docs/security.md, "Codes and guessing").
func DefaultConfig() Config {
	return Config{
		CodeTTL:             15 * time.Minute,
		LongCodeTTL:         24 * time.Hour,
		TokenTTL:            24 * time.Hour,
		CertificateTTL:      15 * time.Minute,
		CertificateSkew:     time.Minute,
		MaxDateAge:          28 * 24 * time.Hour,
		CleanupAge:          48 * time.Hour,
		CleanupInterval:     10 * time.Minute,
		RetiredKeyRetention: 7 * 24 * time.Hour,
		TokenIssuer:         "bluezone-vn-verification",
		DefaultAudience:     "exposure-notifications-server",
		DefaultDailyQuota:   5000,
		ClientMaxFailures:   5,
		ClientWindow:        time.Hour,
		ClientLockout:       time.Hour,
		KeyMaxFailures:      60,
		KeyWindow:           time.Hour,
		KeyLockout:          15 * time.Minute,
		MaxTrackedClients:   1_000_000,
		MaxBody:             64_000,
		PaddingMin:          1024,
		PaddingMax:          2048,
	}
}

// Validate reports the first setting that is out of range.
func (c Config) Validate() error {
	pos := []struct {
		name string
		d    time.Duration
	}{
		{"CodeTTL", c.CodeTTL}, {"LongCodeTTL", c.LongCodeTTL}, {"TokenTTL", c.TokenTTL},
		{"CertificateTTL", c.CertificateTTL}, {"MaxDateAge", c.MaxDateAge}, {"CleanupAge", c.CleanupAge},
		{"CleanupInterval", c.CleanupInterval}, {"RetiredKeyRetention", c.RetiredKeyRetention},
		{"ClientWindow", c.ClientWindow}, {"ClientLockout", c.ClientLockout},
		{"KeyWindow", c.KeyWindow}, {"KeyLockout", c.KeyLockout},
	}
	for _, p := range pos {
		if p.d <= 0 {
			return fmt.Errorf("verification config: %s must be positive, got %v", p.name, p.d)
		}
	}
	switch {
	case c.CodeTTL > time.Hour:
		return fmt.Errorf("verification config: CodeTTL must be at most 1h (the reference's realm maximum), got %v", c.CodeTTL)
	case c.LongCodeTTL < c.CodeTTL:
		return errors.New("verification config: LongCodeTTL must not be shorter than CodeTTL")
	case c.CleanupAge < c.LongCodeTTL || c.CleanupAge < c.TokenTTL:
		return errors.New("verification config: CleanupAge must not be shorter than LongCodeTTL and TokenTTL")
	case c.RetiredKeyRetention < c.CertificateTTL:
		return errors.New("verification config: RetiredKeyRetention must not be shorter than CertificateTTL")
	case c.CertificateSkew < 0:
		return errors.New("verification config: CertificateSkew must not be negative")
	case c.TokenIssuer == "":
		return errors.New("verification config: TokenIssuer is empty")
	case c.DefaultAudience == "":
		return errors.New("verification config: DefaultAudience is empty")
	case c.DefaultDailyQuota < 0:
		return errors.New("verification config: DefaultDailyQuota must not be negative (0 = unlimited)")
	case c.ClientMaxFailures < 1 || c.KeyMaxFailures < 1:
		return errors.New("verification config: ClientMaxFailures and KeyMaxFailures must be at least 1")
	case c.MaxTrackedClients < 1:
		return errors.New("verification config: MaxTrackedClients must be at least 1")
	case c.MaxBody < 1024:
		return fmt.Errorf("verification config: MaxBody must be at least 1024 bytes, got %d", c.MaxBody)
	case c.PaddingMin < 0 || c.PaddingMax < c.PaddingMin:
		return errors.New("verification config: need 0 <= PaddingMin <= PaddingMax")
	}
	return nil
}

// Deps are the service's collaborators. DB, Clock, Logger and Secret are
// required; Registerer may be nil (no metrics).
type Deps struct {
	DB         *store.DB
	Clock      clock.Clock
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Secret is the 32-byte key-encryption key. Sub-keys for code, token and
	// API-key HMACs, for sealing private signing keys and for the device-token
	// signing key are derived from it with HKDF. Losing it invalidates every
	// stored key and code; leaking it exposes them.
	Secret []byte
}

func (d Deps) validate() error {
	switch {
	case d.DB == nil:
		return errors.New("verification: Deps.DB is nil")
	case d.Clock == nil:
		return errors.New("verification: Deps.Clock is nil")
	case d.Logger == nil:
		return errors.New("verification: Deps.Logger is nil")
	case len(d.Secret) != 32:
		return fmt.Errorf("verification: Deps.Secret must be 32 bytes, got %d", len(d.Secret))
	}
	return nil
}
