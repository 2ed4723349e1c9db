package installs

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/bluezone-vn/bluezone/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Component is the name under which the installs migrations are recorded.
const Component = "installs"

// Migrate creates or upgrades the installs tables. It is safe to call on
// every start.
func Migrate(ctx context.Context, db *store.DB) error {
	if db == nil {
		return fmt.Errorf("installs: migrate: nil database")
	}
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("installs: migrate: %w", err)
	}
	if err := db.Migrate(ctx, Component, sub); err != nil {
		return fmt.Errorf("installs: %w", err)
	}
	return nil
}
