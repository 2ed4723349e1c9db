package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// eachStore runs the contract suite against every implementation.
func eachStore(t *testing.T, fn func(t *testing.T, s Store)) {
	t.Run("fs", func(t *testing.T) {
		s, err := NewFS(filepath.Join(t.TempDir(), "exports"))
		if err != nil {
			t.Fatal(err)
		}
		fn(t, s)
	})
	t.Run("memory", func(t *testing.T) { fn(t, NewMemory()) })
}

func TestStoreContract(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		if _, err := s.Get(ctx, "a.zip"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
		}
		if _, err := s.Open(ctx, "a.zip"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Open missing: err = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "a.zip"); err != nil {
			t.Fatalf("Delete missing: %v", err)
		}
		for name, data := range map[string]string{"b.zip": "bee", "a.zip": "ay", "index.txt": "a.zip\nb.zip", "empty.zip": ""} {
			if err := s.Put(ctx, name, []byte(data)); err != nil {
				t.Fatalf("Put %s: %v", name, err)
			}
		}
		if err := s.Put(ctx, "a.zip", []byte("ay2")); err != nil {
			t.Fatalf("Put replace: %v", err)
		}
		got, err := s.Get(ctx, "a.zip")
		if err != nil || string(got) != "ay2" {
			t.Fatalf("Get after replace = %q, %v", got, err)
		}
		got, err = s.Get(ctx, "empty.zip")
		if err != nil || len(got) != 0 {
			t.Fatalf("Get empty = %q, %v", got, err)
		}
		obj, err := s.Open(ctx, "b.zip")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(obj)
		obj.Close()
		if string(body) != "bee" || obj.Info().Size != 3 || obj.Info().Name != "b.zip" {
			t.Fatalf("Open = %q, %+v", body, obj.Info())
		}
		list, err := s.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, in := range list {
			names = append(names, in.Name)
		}
		if strings.Join(names, ",") != "a.zip,b.zip,empty.zip,index.txt" {
			t.Fatalf("List = %v", names)
		}
		list, _ = s.List(ctx, "b")
		if len(list) != 1 || list[0].Name != "b.zip" || list[0].Size != 3 {
			t.Fatalf("List(b) = %+v", list)
		}
		if err := s.Delete(ctx, "b.zip"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "b.zip"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get deleted: %v", err)
		}
	})
}

func TestInvalidNames(t *testing.T) {
	bad := []string{"", ".hidden", "../x.zip", "a/b.zip", `a\b`, "a b", "x\x00", strings.Repeat("a", 201), ".tmp-1-a.zip"}
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		for _, name := range bad {
			if err := s.Put(ctx, name, []byte("x")); err == nil {
				t.Errorf("Put(%q) accepted", name)
			}
			if _, err := s.Get(ctx, name); err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%q) err = %v, want invalid name", name, err)
			}
			if err := s.Delete(ctx, name); err == nil {
				t.Errorf("Delete(%q) accepted", name)
			}
		}
		if list, _ := s.List(ctx, ""); len(list) != 0 {
			t.Fatalf("bad names stored something: %+v", list)
		}
	})
}

func TestFSLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := s.Put(ctx, "index.txt", bytes.Repeat([]byte("x"), 1000*i)); err != nil {
			t.Fatal(err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(cancelled, "never.zip", []byte("x")); err == nil {
		t.Fatal("Put with cancelled context succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "index.txt" {
		t.Fatalf("folder holds %v, want only index.txt", entries)
	}
}

// A crash between creating the temporary file and the rename leaves a
// ".tmp-" file: it is never listed or served, and the next NewFS removes it
// once it is old enough to belong to a dead writer.
func TestFSInterruptedPut(t *testing.T) {
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, "1-2-00001.zip", []byte("complete")); err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(dir, tempPrefix+"0011223344556677-1-2-00001.zip")
	if err := os.WriteFile(partial, []byte("compl"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "1-2-00001.zip")
	if err != nil || string(got) != "complete" {
		t.Fatalf("Get = %q, %v; want the complete old object", got, err)
	}
	list, _ := s.List(ctx, "")
	if len(list) != 1 {
		t.Fatalf("List shows temporary file: %+v", list)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Serve(w, r, s, strings.TrimPrefix(r.URL.Path, "/"))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/" + filepath.Base(partial))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("temporary file served with status %d", resp.StatusCode)
	}
	// A fresh leftover survives (it may be another process's write in
	// progress); an old one is removed.
	if _, err := NewFS(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(partial); err != nil {
		t.Fatalf("young temporary file removed: %v", err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(partial, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFS(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(partial); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old temporary file kept: %v", err)
	}
}

func TestServeHeaders(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		zipBody := []byte("PK\x03\x04 pretend zip")
		if err := s.Put(ctx, "100-200-00001.zip", zipBody); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "index.txt", []byte("exports/100-200-00001.zip")); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			Serve(w, r, s, strings.TrimPrefix(r.URL.Path, "/"))
		}))
		defer srv.Close()
		tests := []struct {
			path, status, ctype, cache, body string
		}{
			{"/100-200-00001.zip", "200 OK", "application/zip", "public, max-age=86400", string(zipBody)},
			{"/index.txt", "200 OK", "text/plain; charset=us-ascii", "no-cache, max-age=0", "exports/100-200-00001.zip"},
			{"/missing.zip", "404 Not Found", "", "", ""},
			{"/..%2fetc%2fpasswd", "404 Not Found", "", "", ""},
		}
		for _, tc := range tests {
			t.Run(tc.path, func(t *testing.T) {
				resp, err := http.Get(srv.URL + tc.path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.Status != tc.status {
					t.Fatalf("status = %s, want %s", resp.Status, tc.status)
				}
				if tc.ctype == "" {
					return
				}
				if got := resp.Header.Get("Content-Type"); got != tc.ctype {
					t.Errorf("Content-Type = %q, want %q", got, tc.ctype)
				}
				if got := resp.Header.Get("Cache-Control"); got != tc.cache {
					t.Errorf("Cache-Control = %q, want %q", got, tc.cache)
				}
				if string(body) != tc.body {
					t.Errorf("body = %q, want %q", body, tc.body)
				}
			})
		}
		// Range requests work, so interrupted downloads can resume.
		req, _ := http.NewRequest("GET", srv.URL+"/100-200-00001.zip", nil)
		req.Header.Set("Range", "bytes=0-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || string(body) != "PK" {
			t.Fatalf("range: %d %q", resp.StatusCode, body)
		}
	})
}

// FuzzValidName: every name ValidName accepts stays inside the store's
// folder and round-trips; every other name is refused before touching disk.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"index.txt", "1-2-00001.zip", "../x", ".tmp-x", "a/b", "", "x\x00y"} {
		f.Add(s)
	}
	dir := f.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string) {
		ctx := context.Background()
		err := s.Put(ctx, name, []byte(name))
		if ValidName(name) != nil {
			if err == nil {
				t.Fatalf("invalid name %q stored", name)
			}
			return
		}
		if err != nil {
			t.Fatalf("Put(%q): %v", name, err)
		}
		if strings.ContainsAny(name, `/\`) || name[0] == '.' {
			t.Fatalf("accepted %q", name)
		}
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("%q not stored inside the folder: %v", name, err)
		}
		got, err := s.Get(ctx, name)
		if err != nil || string(got) != name {
			t.Fatalf("Get(%q) = %q, %v", name, got, err)
		}
		if err := s.Delete(ctx, name); err != nil {
			t.Fatal(err)
		}
	})
}
