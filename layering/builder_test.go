package layering

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// project writes a small tree and returns a layer of it.
func project(t *testing.T, dir string, mtime time.Time) Layer {
	t.Helper()
	files := map[string]string{
		"app/main.bin":         "\x7fELF binary",
		"app/config/app.yaml":  "port: 8080\n",
		"app/static/index.htm": "<h1>hi</h1>\n",
	}
	var es []Entry
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o600)
		if strings.HasSuffix(rel, ".bin") {
			mode = 0o700
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		os.Chtimes(p, mtime, mtime)
		es = append(es, Entry{Path: "/" + rel, Type: TypeFile, Source: p})
	}
	es = append(es, Entry{Path: "/app/current", Type: TypeSymlink, Linkname: "main.bin"})
	return Layer{Name: "test", Entries: es}
}

func newBuilder(t *testing.T, opts ...BuilderOption) *Builder {
	t.Helper()
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSameContentSameDigestAnywhere(t *testing.T) {
	ctx := context.Background()
	a := project(t, t.TempDir(), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	b := project(t, t.TempDir(), time.Now())
	// Entry order must not matter either.
	for i, j := 0, len(b.Entries)-1; i < j; i, j = i+1, j-1 {
		b.Entries[i], b.Entries[j] = b.Entries[j], b.Entries[i]
	}
	ba, err := newBuilder(t).BuildLayer(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	bb, err := newBuilder(t).BuildLayer(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if ba.Digest != bb.Digest || ba.DiffID != bb.DiffID {
		t.Errorf("same content: %s/%s vs %s/%s", ba.Digest, ba.DiffID, bb.Digest, bb.DiffID)
	}
	bt, err := newBuilder(t, WithModTime(time.Unix(1700000000, 0))).BuildLayer(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if bt.Digest == ba.Digest {
		t.Error("a different modification time gave the same digest")
	}
}

func readTar(t *testing.T, b Blob) []*tar.Header {
	t.Helper()
	f, err := b.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var hs []*tar.Header
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hs
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
}

func TestTarHeaders(t *testing.T) {
	l := project(t, t.TempDir(), time.Now())
	l.Entries = append(l.Entries,
		Entry{Path: "/etc/passwd", Type: TypeFile, Data: []byte("root:x:0:0::/root:/sbin/nologin\n")},
		Entry{Path: "/home/nonroot", Type: TypeDir, Mode: 0o700, UID: 65532, GID: 65532},
		Entry{Path: "/" + strings.Repeat("long/", 30) + "name.txt", Type: TypeFile, Data: []byte("x")},
	)
	b, err := newBuilder(t).BuildLayer(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	hs := readTar(t, b)
	want := map[string]struct {
		typ  byte
		mode int64
		uid  int
	}{
		"app/":                 {tar.TypeDir, 0o755, 0},
		"app/config/":          {tar.TypeDir, 0o755, 0},
		"app/config/app.yaml":  {tar.TypeReg, 0o644, 0},
		"app/main.bin":         {tar.TypeReg, 0o755, 0},
		"app/current":          {tar.TypeSymlink, 0o777, 0},
		"app/static/":          {tar.TypeDir, 0o755, 0},
		"app/static/index.htm": {tar.TypeReg, 0o644, 0},
		"etc/":                 {tar.TypeDir, 0o755, 0},
		"etc/passwd":           {tar.TypeReg, 0o644, 0},
		"home/":                {tar.TypeDir, 0o755, 0},
		"home/nonroot/":        {tar.TypeDir, 0o700, 65532},
	}
	var names []string
	for _, h := range hs {
		names = append(names, h.Name)
		if !h.ModTime.Equal(DefaultModTime) {
			t.Errorf("%s: mtime %s", h.Name, h.ModTime)
		}
		if !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() || len(h.PAXRecords) > 0 && !strings.HasPrefix(h.Name, "long/") {
			t.Errorf("%s: atime %s ctime %s pax %v", h.Name, h.AccessTime, h.ChangeTime, h.PAXRecords)
		}
		for k := range h.PAXRecords {
			if k != "path" {
				t.Errorf("%s: PAX record %s", h.Name, k)
			}
		}
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q/%q", h.Name, h.Uname, h.Gname)
		}
		if w, ok := want[h.Name]; ok {
			if h.Typeflag != w.typ || h.Mode != w.mode || h.Uid != w.uid || h.Gid != w.uid {
				t.Errorf("%s: type %c mode %o uid %d gid %d, want %c %o %d", h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, w.typ, w.mode, w.uid)
			}
			delete(want, h.Name)
		}
		if h.Name == "app/current" && h.Linkname != "main.bin" {
			t.Errorf("symlink target %q", h.Linkname)
		}
	}
	for n := range want {
		t.Errorf("tar lacks %s; has %q", n, names)
	}
	for i := 1; i < len(names); i++ {
		if strings.TrimSuffix(names[i-1], "/") >= strings.TrimSuffix(names[i], "/") {
			t.Errorf("entries not sorted: %q before %q", names[i-1], names[i])
		}
	}
}

func TestCacheHitsAndMisses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := project(t, dir, time.Now())
	b := newBuilder(t)
	first, err := b.BuildLayer(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached {
		t.Error("first build came from the cache")
	}
	again, err := b.BuildLayer(ctx, l)
	if err != nil || !again.Cached || again.Digest != first.Digest {
		t.Fatalf("unchanged rebuild: %+v, %v", again, err)
	}

	// touch: new mtime, same content -> rehashed, still a hit.
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(dir, "app/config/app.yaml"), later, later)
	touched, err := b.BuildLayer(ctx, l)
	if err != nil || !touched.Cached || touched.Digest != first.Digest {
		t.Fatalf("after touch: %+v, %v", touched, err)
	}

	// Changed content -> a new layer.
	os.WriteFile(filepath.Join(dir, "app/config/app.yaml"), []byte("port: 9090\n"), 0o600)
	changed, err := b.BuildLayer(ctx, l)
	if err != nil || changed.Cached || changed.Digest == first.Digest {
		t.Fatalf("after a change: %+v, %v", changed, err)
	}
}

// TestStatFastPathReadsNoContent shows that an unchanged stat is trusted:
// the content hash comes from the stat record, the file is not read. (The
// record is doctored here so that a read would show.)
func TestStatFastPathReadsNoContent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := project(t, dir, time.Now())
	b := newBuilder(t)
	if _, err := b.BuildLayer(ctx, l); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "app/config/app.yaml")
	recs, _ := filepath.Glob(filepath.Join(b.cache.Dir(), "stat", "*.json"))
	for _, rec := range recs {
		var m map[string]statRecord
		raw, _ := os.ReadFile(rec)
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		r := m[p]
		r.SHA256 = strings.Repeat("0", 64)
		m[p] = r
		raw, _ = json.Marshal(m)
		os.WriteFile(rec, raw, 0o644)
	}
	again, err := b.BuildLayer(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if again.Cached {
		t.Errorf("the file was read again despite an unchanged stat: %+v", again)
	}
}

// TestRewriteUnderRestoredMtime: content rewritten in place with the same
// size, inode and mtime still moves the ctime, which the kernel sets and no
// one can set back; the layer is built anew.
func TestRewriteUnderRestoredMtime(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := project(t, dir, time.Now())
	b := newBuilder(t)
	first, err := b.BuildLayer(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "app/config/app.yaml")
	fi, _ := os.Stat(p)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("port: 9999\n")
	f.Close()
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	again, err := b.BuildLayer(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if again.Cached || again.Digest == first.Digest {
		t.Errorf("a rewrite under a restored mtime went unseen: %+v", again)
	}
}

func TestConcurrentBuildsOneCache(t *testing.T) {
	ctx := context.Background()
	l := project(t, t.TempDir(), time.Now())
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	digests := make([]string, 8)
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := NewBuilder(c)
			bl, err := b.BuildLayer(ctx, l)
			digests[i], errs[i] = bl.Digest, err
		}()
	}
	wg.Wait()
	for i := range 8 {
		if errs[i] != nil || digests[i] != digests[0] {
			t.Errorf("build %d: %s, %v (build 0: %s)", i, digests[i], errs[i], digests[0])
		}
	}
	probs, err := c.Verify()
	if err != nil || len(probs) > 0 {
		t.Errorf("verify: %v %v", probs, err)
	}
}

func TestVerifyFindsCorruption(t *testing.T) {
	l := project(t, t.TempDir(), time.Now())
	b := newBuilder(t)
	bl, err := b.BuildLayer(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bl.Path, []byte("garbage"), 0o644)
	probs, err := b.cache.Verify()
	if err != nil || len(probs) == 0 {
		t.Errorf("corrupt blob not found: %v %v", probs, err)
	}
	// A corrupt record's blob is rebuilt, not used: the size no longer matches.
	again, err := b.BuildLayer(context.Background(), l)
	if err != nil || again.Cached {
		t.Errorf("rebuild after corruption: %+v %v", again, err)
	}
}

func TestPlanValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    Entry
		want string
	}{
		{"relative", Entry{Path: "etc/x", Type: TypeFile, Data: []byte{}}, "absolute"},
		{"dotdot", Entry{Path: "/etc/../../x", Type: TypeFile, Data: []byte{}}, "clean"},
		{"root", Entry{Path: "/", Type: TypeDir}, "clean"},
		{"double slash", Entry{Path: "/a//b", Type: TypeDir}, "clean"},
		{"dot", Entry{Path: "/a/./b", Type: TypeDir}, "clean"},
		{"trailing slash", Entry{Path: "/a/", Type: TypeDir}, "clean"},
		{"trailing dotdot", Entry{Path: "/a/..", Type: TypeDir}, "clean"},
		{"no source", Entry{Path: "/x", Type: TypeFile}, "neither"},
		{"no target", Entry{Path: "/x", Type: TypeSymlink}, "no target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Plan{Layers: []Layer{{Name: "l", Entries: []Entry{tc.e}}}}
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	dir := func(paths ...string) []Entry {
		var es []Entry
		for _, p := range paths {
			es = append(es, Entry{Path: p, Type: TypeDir})
		}
		return es
	}
	// Sorted entries are checked without a set; a repeat after them with one.
	for _, es := range [][]Entry{dir("/a", "/a"), dir("/a", "/b", "/c", "/b"), dir("/b", "/a", "/b")} {
		dup := &Plan{Layers: []Layer{{Name: "l", Entries: es}}}
		if err := dup.Validate(); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%v: got %v, want a path twice", es, err)
		}
	}
	ok := &Plan{Layers: []Layer{{Name: "l", Entries: dir("/a", "/a/b", "/b", "/a/c")}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("no repeats: %v", err)
	}
}

func TestIsCleanAbs(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a/b", "a", "", "//", "/a//b", "/a/", "/.", "/..", "/a/.", "/a/..", "/./a",
		"/../a", "/a/.b", "/a/..b", "/a/b.", "/.a", "/a/b/c.d/e", "/app/node_modules/@s/c"} {
		want := strings.HasPrefix(p, "/") && p != "/" && path.Clean(p) == p
		if got := isCleanAbs(p); got != want {
			t.Errorf("isCleanAbs(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestMissingSourceNamesFile(t *testing.T) {
	l := Layer{Name: "l", Entries: []Entry{{Path: "/x", Type: TypeFile, Source: "/nonexistent/file"}}}
	_, err := newBuilder(t).BuildLayer(context.Background(), l)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/file") {
		t.Errorf("got %v", err)
	}
}

// keyedProject keys a test project's layer and returns it with its entries
// and the path of one of its files.
func keyedProject(t *testing.T) (*Builder, Layer, []resolved, string) {
	t.Helper()
	dir := t.TempDir()
	l := project(t, dir, time.Now())
	b := newBuilder(t)
	entries, _, err := b.resolve(l)
	if err != nil {
		t.Fatal(err)
	}
	return b, l, entries, filepath.Join(dir, "app/config/app.yaml")
}

// TestChangeAfterKeyingFails: a file written to between keying and copying
// fails the layer rather than putting new content under the old key.
func TestChangeAfterKeyingFails(t *testing.T) {
	b, _, entries, p := keyedProject(t)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("port: 9999\n") // same size
	f.Close()
	if _, err := b.write(entries, nil, levelChanging); err == nil || !strings.Contains(err.Error(), "changed while the layer was being written") {
		t.Errorf("write after a change: %v", err)
	}
}

type recordingTee struct {
	buf    bytes.Buffer
	fail   bool
	digest string
	err    error
}

func (r *recordingTee) Write(p []byte) (int, error) {
	if r.fail {
		return 0, errors.New("registry went away")
	}
	return r.buf.Write(p)
}

func (r *recordingTee) Done(digest string, size int64, err error) { r.digest, r.err = digest, err }

// TestTee: a tee sees exactly the blob's bytes, and one that fails does not
// fail the layer.
func TestTee(t *testing.T) {
	for _, fail := range []bool{false, true} {
		tee := &recordingTee{fail: fail}
		b := newBuilder(t, WithTee(func(ctx context.Context, layer string) Tee { return tee }))
		blob, err := b.BuildLayer(context.Background(), project(t, t.TempDir(), time.Now()))
		if err != nil {
			t.Fatalf("tee failing %v: %v", fail, err)
		}
		want, _ := os.ReadFile(blob.Path)
		if tee.digest != blob.Digest || tee.err != nil {
			t.Errorf("tee failing %v: told %s, %v; want %s", fail, tee.digest, tee.err, blob.Digest)
		}
		if !fail && !bytes.Equal(tee.buf.Bytes(), want) {
			t.Errorf("tee got %d bytes, blob has %d", tee.buf.Len(), len(want))
		}
	}
}

// TestSameContentRewrittenWhileWriting: a file rewritten with the same
// content after keying (concurrent builds relinking one binary) fails the
// stat check, and passes the content check the layer is written again with.
func TestSameContentRewrittenWhileWriting(t *testing.T) {
	b, l, entries, p := keyedProject(t)
	content, _ := os.ReadFile(p)
	time.Sleep(10 * time.Millisecond) // a ctime the kernel can tell apart
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.write(entries, nil, levelChanging); !errors.Is(err, errChanged) {
		t.Errorf("stat check after a rewrite: %v, want errChanged", err)
	}
	for i := range entries {
		entries[i].rehash = true
	}
	if _, err := b.write(entries, nil, levelChanging); err != nil {
		t.Errorf("content check after a rewrite with the same content: %v", err)
	}
	// And through BuildLayer, which retries with the content check.
	if _, err := b.BuildLayer(context.Background(), l); err != nil {
		t.Error(err)
	}
}

// TestVouchedKey: a layer vouched for by key is reused without a look at
// its files; a new key has the layer written with its files hashed as they
// are copied, and the content key recorded, so the same content under yet
// another key is found in the cache, and the stat cache learns the hashes.
func TestVouchedKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := project(t, dir, time.Now())
	b := newBuilder(t)
	l.Key = "v1"
	first, err := b.BuildLayer(ctx, l)
	if err != nil || first.Cached {
		t.Fatalf("first: %+v %v", first, err)
	}
	plain := l
	plain.Key = ""
	if again, err := b.BuildLayer(ctx, plain); err != nil || !again.Cached || again.Digest != first.Digest {
		t.Errorf("content key not recorded: %+v %v", again, err)
	}

	// The files go; the key still stands for them.
	os.RemoveAll(filepath.Join(dir, "app"))
	if again, err := b.BuildLayer(ctx, l); err != nil || !again.Cached || again.Digest != first.Digest {
		t.Errorf("vouched: %+v %v", again, err)
	}

	// New content under a new key.
	l = project(t, dir, time.Now())
	os.WriteFile(filepath.Join(dir, "app/config/app.yaml"), []byte("port: 9\n"), 0o600)
	l.Key = "v2"
	second, err := b.BuildLayer(ctx, l)
	if err != nil || second.Cached || second.Digest == first.Digest {
		t.Fatalf("new key: %+v %v", second, err)
	}
	// The same files under a third key: their stats are unchanged, and the
	// stat cache learned their hashes as they were copied, so the layer is
	// found by content without reading them.
	l.Key = "v3"
	third, err := b.BuildLayer(ctx, l)
	if err != nil || !third.Cached || third.Digest != second.Digest {
		t.Errorf("same content, third key: %+v %v", third, err)
	}
	plain = l
	plain.Key = ""
	if again, err := b.BuildLayer(ctx, plain); err != nil || !again.Cached || again.Digest != second.Digest {
		t.Errorf("content key of the learned hashes: %+v %v", again, err)
	}
}

// TestKeyOnly: a layer whose key changes with its content (a Go build ID)
// is written under that key alone, with no content key and no stat
// records, and found again by the key.
func TestKeyOnly(t *testing.T) {
	ctx := context.Background()
	l := project(t, t.TempDir(), time.Now())
	b := newBuilder(t)
	l.Key, l.KeyOnly = "build-id-1", true
	first, err := b.BuildLayer(ctx, l)
	if err != nil || first.Cached {
		t.Fatalf("first: %+v %v", first, err)
	}
	if ents, _ := os.ReadDir(filepath.Join(b.cache.Dir(), "stat")); len(ents) != 0 {
		t.Errorf("stat records kept for a key-only layer: %v", ents)
	}
	plain := l
	plain.Key, plain.KeyOnly = "", false
	if again, err := b.BuildLayer(ctx, plain); err != nil || again.Cached || again.Digest != first.Digest {
		t.Errorf("keyed by content too, or another digest: %+v %v", again, err)
	}
	if again, err := b.BuildLayer(ctx, l); err != nil || !again.Cached || again.Digest != first.Digest {
		t.Errorf("not found by its key: %+v %v", again, err)
	}
}
