package keyserver

import (
	"context"
	"embed"

	"github.com/bluezone-vn/bluezone/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Component is the name under which the key server's migrations are
// recorded in schema_migrations.
const Component = "keyserver"

// Migrate creates or upgrades the key server's tables: exposures (read by
// the export worker), health authorities and their keys, authorized apps and
// revision-token keys. It is safe to call on every start.
func Migrate(ctx context.Context, db *store.DB) error {
	return db.Migrate(ctx, Component, migrationFiles, "migrations")
}
