// Package blob stores the export worker's published files (signed key export
// zips and index.txt) and serves them over HTTP with the cache headers
// clients and CDNs expect.
//
// A Store is a flat namespace of small immutable-ish objects: a Put replaces
// an object atomically, so a reader sees either the old or the new bytes,
// never a partial file. The filesystem implementation (FS) is the default;
// an object-storage implementation can satisfy the same interface later.
// It is not a general file server: names are restricted to one path element
// of [A-Za-z0-9._-] without a leading dot.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) by Get and Open when no object has the
// name.
var ErrNotFound = errors.New("blob: object not found")

// Info describes a stored object.
type Info struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// Object is an open stored object: a seekable reader, so it can be served
// with range and conditional requests.
type Object interface {
	io.ReadSeekCloser
	Info() Info
}

// Store keeps named objects.
type Store interface {
	// Put stores data under name, replacing any previous object. When Put
	// returns nil the object is durable; when it fails, the previous object
	// (or its absence) is left as it was.
	Put(ctx context.Context, name string, data []byte) error
	// Get returns the object's bytes, or an error wrapping ErrNotFound.
	Get(ctx context.Context, name string) ([]byte, error)
	// Open opens the object for reading, or returns an error wrapping
	// ErrNotFound. The caller closes it.
	Open(ctx context.Context, name string) (Object, error)
	// Delete removes the object. Deleting a missing object is not an error.
	Delete(ctx context.Context, name string) error
	// List returns the objects whose names start with prefix, sorted by
	// name.
	List(ctx context.Context, prefix string) ([]Info, error)
}

// ValidName reports whether name is acceptable as an object name: 1..200
// bytes of [A-Za-z0-9._-], not starting with '.'. Names never contain a path
// separator, so they cannot escape a Store's folder.
func ValidName(name string) error {
	if name == "" || len(name) > 200 {
		return fmt.Errorf("blob: invalid object name (length %d, want 1..200)", len(name))
	}
	if name[0] == '.' {
		return fmt.Errorf("blob: invalid object name %q: starts with '.'", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("blob: invalid object name %q: only A-Z a-z 0-9 . _ - allowed", name)
		}
	}
	return nil
}
