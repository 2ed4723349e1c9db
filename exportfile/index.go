package exportfile

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxIndexBytes bounds the index.txt that ParseIndex accepts: about
// 40,000 lines, years of files at the reference's rate.
const MaxIndexBytes = 4 << 20

// maxIndexPath bounds one line of index.txt.
const maxIndexPath = 512

// FileName returns the path of an export zip as the reference names it:
// root/<start unix>-<end unix>-<num %05d>.zip (root may be empty).
func FileName(root string, start, end time.Time, num int) string {
	name := fmt.Sprintf("%d-%d-%05d.zip", start.Unix(), end.Unix(), num)
	if root == "" {
		return name
	}
	return strings.TrimSuffix(root, "/") + "/" + name
}

// ParseIndex parses index.txt: one relative path per line. Blank lines
// (and a trailing newline, and CR before LF) are tolerated; absolute paths,
// "." or ".." segments, empty segments and characters outside
// [A-Za-z0-9._-/] are errors. Paths are returned in file order.
func ParseIndex(data []byte) ([]string, error) {
	if len(data) > MaxIndexBytes {
		return nil, fmt.Errorf("%w: index.txt is %d bytes, limit %d", ErrFormat, len(data), MaxIndexBytes)
	}
	var paths []string
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		p := string(line)
		if err := checkIndexPath(p); err != nil {
			return nil, fmt.Errorf("%w: index.txt line %d: %w", ErrFormat, i+1, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// MarshalIndex returns index.txt for the given paths: validated, sorted
// oldest to newest, one per line with a final newline. Paths named like
// FileName sort by (start, end, num) as numbers; others sort after them
// by name. Duplicates are an error.
func MarshalIndex(paths []string) ([]byte, error) {
	type entry struct {
		path  string
		key   [3]int64
		named bool
	}
	es := make([]entry, len(paths))
	for i, p := range paths {
		if err := checkIndexPath(p); err != nil {
			return nil, fmt.Errorf("marshal index: %w", err)
		}
		es[i].path = p
		es[i].key, es[i].named = exportNameKey(p)
	}
	slices.SortFunc(es, func(a, b entry) int {
		if a.named != b.named {
			if a.named {
				return -1
			}
			return 1
		}
		if c := slices.Compare(a.key[:], b.key[:]); a.named && c != 0 {
			return c
		}
		return cmp.Compare(a.path, b.path)
	})
	var buf bytes.Buffer
	for i, e := range es {
		if i > 0 && e.path == es[i-1].path {
			return nil, fmt.Errorf("marshal index: duplicate path %q", e.path)
		}
		buf.WriteString(e.path)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// exportNameKey parses the base name of a FileName path.
func exportNameKey(p string) (key [3]int64, ok bool) {
	base := p[strings.LastIndexByte(p, '/')+1:]
	base, ok = strings.CutSuffix(base, ".zip")
	parts := strings.Split(base, "-")
	if !ok || len(parts) != 3 {
		return key, false
	}
	for i, s := range parts {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return key, false
		}
		key[i] = n
	}
	return key, true
}

func checkIndexPath(p string) error {
	if len(p) > maxIndexPath {
		return fmt.Errorf("path longer than %d bytes", maxIndexPath)
	}
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("absolute path %q", p)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/') {
			return fmt.Errorf("path %q: character %q not allowed", p, c)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("path %q: empty segment", p)
		case ".", "..":
			return fmt.Errorf("path %q: %q segment", p, seg)
		}
	}
	return nil
}
