package layering

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// names reads the paths of a built layer.
func names(t *testing.T, b Blob) []string {
	t.Helper()
	var out []string
	for _, h := range readTar(t, b) {
		out = append(out, h.Name)
	}
	return out
}

// Names that are not UTF-8 go into the tar byte for byte, and two such names
// never share a cache key (JSON would have turned both into U+FFFD).
func TestNonUTF8NamesKeepTheirBytes(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "f")
	os.WriteFile(src, []byte("same content"), 0o644)
	b := newBuilder(t)
	var got []Blob
	for _, name := range []string{"/app/\xff.txt", "/app/\xfe.txt"} {
		bl, err := b.BuildLayer(context.Background(), Layer{Name: "l", Entries: []Entry{
			{Path: name, Type: TypeFile, Source: src},
			{Path: "/app/link", Type: TypeSymlink, Linkname: "x" + name[5:]},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if n := names(t, bl); n[len(n)-1] != name[1:] {
			t.Errorf("tar has %q, want %q", n, name[1:])
		}
		got = append(got, bl)
	}
	if got[0].Digest == got[1].Digest || got[1].Cached {
		t.Errorf("two different names gave one layer: %+v", got)
	}
}

func TestLongNames(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "f")
	os.WriteFile(src, []byte("x"), 0o644)
	long := "/" + strings.Repeat("d/", 800) + strings.Repeat("n", 255)
	bl, err := newBuilder(t).BuildLayer(context.Background(), Layer{Name: "l", Entries: []Entry{{Path: long, Type: TypeFile, Source: src}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := names(t, bl); n[len(n)-1] != long[1:] {
		t.Errorf("long name came back as %q", n[len(n)-1])
	}
}

// A named pipe where a file was listed fails with its name, and never hangs.
func TestPipeSourceRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("no mkfifo:", err)
	}
	_, err := newBuilder(t).BuildLayer(context.Background(), Layer{Name: "l", Entries: []Entry{{Path: "/p", Type: TypeFile, Source: p}}})
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("got %v", err)
	}
	if _, err := openRegular(p); err == nil {
		t.Error("openRegular opened a pipe")
	}
}
