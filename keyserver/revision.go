package keyserver

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store"
)

// Revision tokens let the device that published keys revise them later
// (e.g. likely → confirmed) and nobody else. A token is
//
//	version(1) | len(kid)(1) | kid | nonce(12) | AES-256-GCM(records)
//
// base64 (standard) on the wire, where records are count(2, big endian)
// followed by count × (key(16) | rollingStart(4) | rollingPeriod(4)), padded
// with all-zero records to at least RevisionTokenMinKeys so that the token's
// size does not tell how many keys were published. The AEAD's additional
// data is Config.RevisionTokenAAD. The AES keys live in the revision_keys
// table, each encrypted (AES-GCM) under a key derived from Deps.Secret; a new
// one is made every Config.RevisionKeyRotation and old ones are deleted after
// Config.RevisionKeyRetention.
const (
	tokenVersion         = 1
	tokenRecordLen       = KeyLength + 8
	RevisionTokenMinKeys = 28
)

// revisableKey is one key a revision token allows to revise.
type revisableKey struct {
	key           [KeyLength]byte
	rollingStart  int32
	rollingPeriod int32
}

type revisionKey struct {
	kid       string
	aead      cipher.AEAD
	createdAt time.Time
}

type tokenManager struct {
	db        *store.DB
	clock     clock.Clock
	wrap      cipher.AEAD
	aad       []byte
	rotate    time.Duration
	retention time.Duration

	createMu   sync.Mutex // one creator of a new current key at a time
	mu         sync.RWMutex
	current    *revisionKey
	byKID      map[string]*revisionKey
	lastReload time.Time
}

func newTokenManager(db *store.DB, clk clock.Clock, secret, aad []byte, rotate, retention time.Duration) (*tokenManager, error) {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("bluezone keyserver revision-key wrapping v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	wrap, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &tokenManager{db: db, clock: clk, wrap: wrap, aad: aad, rotate: rotate, retention: retention,
		byKID: map[string]*revisionKey{}}, nil
}

// reload reads every stored revision key. Callers hold no lock.
func (tm *tokenManager) reload(ctx context.Context) error {
	rows, err := tm.db.Query(ctx, `SELECT kid, wrapped_key, created_at FROM revision_keys`)
	if err != nil {
		return fmt.Errorf("load revision keys: %w", err)
	}
	defer rows.Close()
	keys := map[string]*revisionKey{}
	var newest *revisionKey
	for rows.Next() {
		var kid string
		var wrapped []byte
		var created int64
		if err := rows.Scan(&kid, &wrapped, &created); err != nil {
			return fmt.Errorf("load revision keys: %w", err)
		}
		rk, err := tm.unwrap(kid, wrapped, created)
		if err != nil {
			return fmt.Errorf("revision key %s: %w", kid, err)
		}
		keys[kid] = rk
		if newest == nil || rk.createdAt.After(newest.createdAt) {
			newest = rk
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load revision keys: %w", err)
	}
	tm.mu.Lock()
	tm.byKID = keys
	tm.current = newest
	tm.lastReload = tm.clock.Now()
	tm.mu.Unlock()
	return nil
}

func (tm *tokenManager) unwrap(kid string, wrapped []byte, created int64) (*revisionKey, error) {
	ns := tm.wrap.NonceSize()
	if len(wrapped) < ns {
		return nil, errors.New("wrapped key too short")
	}
	raw, err := tm.wrap.Open(nil, wrapped[:ns], wrapped[ns:], []byte(kid))
	if err != nil {
		return nil, errors.New("cannot unwrap (wrong server secret?)")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &revisionKey{kid: kid, aead: aead, createdAt: time.Unix(created, 0).UTC()}, nil
}

// currentKey returns the key new tokens are sealed with, creating one (and
// deleting keys past retention) when there is none younger than the
// rotation period.
func (tm *tokenManager) currentKey(ctx context.Context) (*revisionKey, error) {
	now := tm.clock.Now()
	tm.mu.RLock()
	cur := tm.current
	tm.mu.RUnlock()
	if cur != nil && now.Sub(cur.createdAt) < tm.rotate {
		return cur, nil
	}
	tm.createMu.Lock()
	defer tm.createMu.Unlock()
	if err := tm.reload(ctx); err != nil {
		return nil, err
	}
	tm.mu.RLock()
	cur = tm.current
	tm.mu.RUnlock()
	if cur != nil && now.Sub(cur.createdAt) < tm.rotate {
		return cur, nil
	}
	raw := make([]byte, 32)
	idb := make([]byte, 8)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	if _, err := rand.Read(idb); err != nil {
		return nil, err
	}
	kid := hex.EncodeToString(idb)
	nonce := make([]byte, tm.wrap.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	wrapped := tm.wrap.Seal(nonce, nonce, raw, []byte(kid))
	if _, err := tm.db.Exec(ctx, `INSERT INTO revision_keys (kid, wrapped_key, created_at) VALUES (?, ?, ?)`,
		kid, wrapped, now.Unix()); err != nil {
		return nil, fmt.Errorf("store revision key: %w", err)
	}
	if _, err := tm.db.Exec(ctx, `DELETE FROM revision_keys WHERE created_at < ?`, now.Add(-tm.retention).Unix()); err != nil {
		return nil, fmt.Errorf("delete old revision keys: %w", err)
	}
	if err := tm.reload(ctx); err != nil {
		return nil, err
	}
	tm.mu.RLock()
	defer tm.mu.RUnlock()
	if tm.current == nil {
		return nil, errors.New("no revision key after creating one")
	}
	return tm.current, nil
}

// seal makes a token allowing the revision of keys.
func (tm *tokenManager) seal(ctx context.Context, keys []revisableKey) (string, error) {
	rk, err := tm.currentKey(ctx)
	if err != nil {
		return "", err
	}
	n := max(len(keys), RevisionTokenMinKeys)
	plain := make([]byte, 2+n*tokenRecordLen)
	binary.BigEndian.PutUint16(plain, uint16(n))
	for i, k := range keys {
		off := 2 + i*tokenRecordLen
		copy(plain[off:], k.key[:])
		binary.BigEndian.PutUint32(plain[off+16:], uint32(k.rollingStart))
		binary.BigEndian.PutUint32(plain[off+20:], uint32(k.rollingPeriod))
	}
	out := make([]byte, 0, 2+len(rk.kid)+12+len(plain)+16)
	out = append(out, tokenVersion, byte(len(rk.kid)))
	out = append(out, rk.kid...)
	nonce := make([]byte, rk.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out = append(out, nonce...)
	out = rk.aead.Seal(out, nonce, plain, tm.aad)
	return base64.StdEncoding.EncodeToString(out), nil
}

// sealedSize is the encoded length of a token for n keys, used to make
// chaff tokens the size of real ones.
func sealedSize(n int) int {
	n = max(n, RevisionTokenMinKeys)
	raw := 2 + 16 + 12 + 2 + n*tokenRecordLen + 16
	return base64.StdEncoding.EncodedLen(raw)
}

var errTokenInvalid = errors.New("revision token is invalid")

// open decrypts a token. Any failure is errTokenInvalid (or a database
// error while looking up an unknown kid).
func (tm *tokenManager) open(ctx context.Context, token string) ([]revisableKey, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 2 || raw[0] != tokenVersion {
		return nil, errTokenInvalid
	}
	kl := int(raw[1])
	if len(raw) < 2+kl+12 {
		return nil, errTokenInvalid
	}
	kid := string(raw[2 : 2+kl])
	tm.mu.RLock()
	rk := tm.byKID[kid]
	stale := tm.clock.Now().Sub(tm.lastReload) > time.Minute
	tm.mu.RUnlock()
	if rk == nil && stale {
		// Another replica may have made a key since; look once a minute.
		if err := tm.reload(ctx); err != nil {
			return nil, err
		}
		tm.mu.RLock()
		rk = tm.byKID[kid]
		tm.mu.RUnlock()
	}
	if rk == nil {
		return nil, errTokenInvalid
	}
	ns := rk.aead.NonceSize()
	body := raw[2+kl:]
	plain, err := rk.aead.Open(nil, body[:ns], body[ns:], tm.aad)
	if err != nil || len(plain) < 2 {
		return nil, errTokenInvalid
	}
	n := int(binary.BigEndian.Uint16(plain))
	if len(plain) != 2+n*tokenRecordLen {
		return nil, errTokenInvalid
	}
	var keys []revisableKey
	var zero [KeyLength]byte
	for i := 0; i < n; i++ {
		off := 2 + i*tokenRecordLen
		var k revisableKey
		copy(k.key[:], plain[off:off+16])
		if k.key == zero {
			continue
		}
		k.rollingStart = int32(binary.BigEndian.Uint32(plain[off+16:]))
		k.rollingPeriod = int32(binary.BigEndian.Uint32(plain[off+20:]))
		keys = append(keys, k)
	}
	return keys, nil
}
