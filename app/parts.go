package app

import "context"

// parts holds the services this process runs; nil where not configured.
type parts struct{}

// buildParts migrates and constructs the configured services and mounts
// their routes.
func (a *App) buildParts(ctx context.Context) error {
	_ = ctx
	return nil
}

func (a *App) closeParts() error { return nil }

func (a *App) partLinks(base string) []string { return nil }
