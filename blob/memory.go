package blob

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Memory is a Store held in memory, for tests and for tools that build
// exports without keeping them. Objects have no modification time.
type Memory struct {
	mu   sync.RWMutex
	objs map[string][]byte
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{objs: map[string][]byte{}} }

// Put implements Store. It keeps its own copy of data.
func (m *Memory) Put(ctx context.Context, name string, data []byte) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: put %s: %w", name, err)
	}
	cp := bytes.Clone(data)
	if cp == nil {
		cp = []byte{}
	}
	m.mu.Lock()
	m.objs[name] = cp
	m.mu.Unlock()
	return nil
}

func (m *Memory) lookup(op, name string) ([]byte, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	m.mu.RLock()
	data, ok := m.objs[name]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("blob: %s %s: %w", op, name, ErrNotFound)
	}
	return data, nil
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, name string) ([]byte, error) {
	data, err := m.lookup("get", name)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(data), nil
}

// Open implements Store.
func (m *Memory) Open(ctx context.Context, name string) (Object, error) {
	data, err := m.lookup("open", name)
	if err != nil {
		return nil, err
	}
	return &memObject{Reader: bytes.NewReader(data), info: Info{Name: name, Size: int64(len(data))}}, nil
}

type memObject struct {
	*bytes.Reader
	info Info
}

func (o *memObject) Info() Info   { return o.info }
func (o *memObject) Close() error { return nil }

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.objs, name)
	m.mu.Unlock()
	return nil
}

// List implements Store.
func (m *Memory) List(ctx context.Context, prefix string) ([]Info, error) {
	m.mu.RLock()
	var out []Info
	for name, data := range m.objs {
		if strings.HasPrefix(name, prefix) {
			out = append(out, Info{Name: name, Size: int64(len(data))})
		}
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
