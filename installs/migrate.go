package installs

import (
	"context"
	"embed"

	"github.com/bluezone-vn/bluezone/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Component is the name under which the installs migrations are recorded.
const Component = "installs"

// Migrate creates or upgrades the installs tables. It is safe to call on
// every start.
func Migrate(ctx context.Context, db *store.DB) error {
	return db.Migrate(ctx, Component, migrationFiles, "migrations")
}
