package store

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// ErrLocked is returned by ExclusiveLock when another holder has the lock.
var ErrLocked = errors.New("held by another process or component")

// ExclusiveLock takes the lock called name on this SQLite database, which
// one holder at a time can have, in this process or any other: an advisory
// lock on the file <database>-<name>.lock beside it. Unlock releases it; so
// does the end of the process, however it ends, so a killed server leaves
// no stale lock. If another holder has it, ExclusiveLock fails at once with
// an error wrapping ErrLocked.
//
// It serves a component that keeps state beside the database which only
// stays true while it is the database's only writer of some table. On
// PostgreSQL, whose writers coordinate through constraints, it takes
// nothing and Unlock does nothing.
func (db *DB) ExclusiveLock(name string) (*Lock, error) {
	if db.dialect != SQLite {
		return &Lock{}, nil
	}
	path := db.path + "-" + name + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s (%s): %w", name, path, err)
	}
	return &Lock{f: f}, nil
}

// Lock is a lock taken by ExclusiveLock.
type Lock struct {
	once sync.Once
	f    *os.File // nil on PostgreSQL
}

// Unlock releases the lock; later calls do nothing.
func (l *Lock) Unlock() error {
	var err error
	l.once.Do(func() {
		if l.f != nil {
			err = l.f.Close() // closing the file drops its lock
		}
	})
	return err
}
