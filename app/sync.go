package app

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/keyserver"
	"github.com/bluezone-vn/bluezone/keyserver/export"
)

// haSyncInterval is how often realm signing keys are copied to the key
// server, so a rotation is accepted within this long.
const haSyncInterval = time.Minute

// syncHealthAuthorities copies every realm's certificate signing keys into
// the key server's list of trusted health authorities. The two services
// share only these public keys, never a package.
func (a *App) syncHealthAuthorities(ctx context.Context) error {
	keys, err := a.Verification.PublicKeys(ctx)
	if err != nil {
		return fmt.Errorf("sync health authorities: %w", err)
	}
	byIssuer := map[string]*keyserver.HealthAuthority{}
	var order []string
	for _, k := range keys {
		ha := byIssuer[k.Issuer]
		if ha == nil {
			ha = &keyserver.HealthAuthority{Issuer: k.Issuer, Audience: k.Audience, Name: "realm " + k.RealmCode}
			byIssuer[k.Issuer] = ha
			order = append(order, k.Issuer)
		}
		ha.Keys = append(ha.Keys, keyserver.HealthAuthorityKey{
			Version: k.KeyVersion, PublicKeyPEM: k.PublicKeyPEM, From: k.CreatedAt, Thru: k.RetiredAt,
		})
	}
	for _, iss := range order {
		if err := a.KeyServer.UpsertHealthAuthority(ctx, *byIssuer[iss]); err != nil {
			return fmt.Errorf("sync health authority %s: %w", iss, err)
		}
	}
	return nil
}

// syncLoop repeats syncHealthAuthorities until ctx ends. A failed round is
// logged and retried at the next tick.
func (a *App) syncLoop(ctx context.Context) error {
	t := time.NewTicker(haSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := a.syncHealthAuthorities(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("health authority sync failed", "err", err)
			}
		}
	}
}

// sortSignersNewestFirst orders signers by the number in their version
// ("v10" before "v9"), falling back to string order.
func sortSignersNewestFirst(s []export.Signer) {
	num := func(v string) int {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "v"))
		if err != nil {
			return -1
		}
		return n
	}
	sort.SliceStable(s, func(i, j int) bool {
		ni, nj := num(s[i].KeyVersion), num(s[j].KeyVersion)
		if ni != nj {
			return ni > nj
		}
		return s[i].KeyVersion > s[j].KeyVersion
	})
}
