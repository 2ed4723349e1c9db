package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// tempPrefix starts the names of files being written. ValidName refuses a
// leading '.', so a temporary file can never be mistaken for an object.
const tempPrefix = ".tmp-"

// FS is a Store in one folder of the local filesystem. Put writes to a
// temporary file in the same folder, syncs it, renames it over the target
// and syncs the folder, so a crash at any point leaves either the old object
// or the complete new one. FS is safe for concurrent use, including by
// several processes sharing the folder.
type FS struct {
	dir string
}

var _ Store = (*FS)(nil)

// NewFS returns a Store kept in dir, creating the folder if needed and
// removing temporary files left behind by an interrupted Put.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blob: empty folder name")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blob: create folder: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: read folder: %w", err)
	}
	for _, e := range entries {
		// Leftovers older than a minute belong to a writer that died; a
		// younger one may be another process's Put in progress.
		if !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Minute {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return &FS{dir: dir}, nil
}

// Dir returns the folder the store writes to.
func (s *FS) Dir() string { return s.dir }

// Put implements Store.
func (s *FS) Put(ctx context.Context, name string, data []byte) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(s.dir, tempPrefix+hex.EncodeToString(rnd[:])+"-"+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("blob: put %s: sync folder: %w", name, err)
	}
	return nil
}

// Get implements Store.
func (s *FS) Get(ctx context.Context, name string) ([]byte, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob: get %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", name, err)
	}
	return data, nil
}

// Open implements Store.
func (s *FS) Open(ctx context.Context, name string) (Object, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob: open %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob: open %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("blob: open %s: %w", name, ErrNotFound)
	}
	return &fsObject{File: f, info: Info{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}}, nil
}

type fsObject struct {
	*os.File
	info Info
}

func (o *fsObject) Info() Info { return o.info }

// Delete implements Store.
func (s *FS) Delete(ctx context.Context, name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(s.dir, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", name, err)
	}
	if err == nil {
		if err := syncDir(s.dir); err != nil {
			return fmt.Errorf("blob: delete %s: sync folder: %w", name, err)
		}
	}
	return nil
}

// List implements Store.
func (s *FS) List(ctx context.Context, prefix string) ([]Info, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("blob: list: %w", err)
	}
	var out []Info
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || ValidName(name) != nil || !strings.HasPrefix(name, prefix) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("blob: list: %w", err)
		}
		out = append(out, Info{Name: name, Size: fi.Size(), ModTime: fi.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
