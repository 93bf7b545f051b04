package lang

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/langbuild/langbuild/layering"
)

// walk lists src with l as the analyzers do.
func walk(t *testing.T, l Links, src string) ([]layering.Entry, error) {
	t.Helper()
	var es []layering.Entry
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		sub, err := l.Entries(src, p, "/app/"+filepath.ToSlash(rel), d)
		es = append(es, sub...)
		return err
	})
	return es, err
}

func find(es []layering.Entry, p string) (layering.Entry, bool) {
	for _, e := range es {
		if e.Path == p {
			return e, true
		}
	}
	return layering.Entry{}, false
}

func TestLinks(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	src := filepath.Join(root, "app")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.MkdirAll(filepath.Join(root, "shared", "deep"), 0o755)
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(root, "shared", "s.txt"), []byte("s"), 0o644)
	os.WriteFile(filepath.Join(root, "shared", "deep", "d.txt"), []byte("d"), 0o644)
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600)
	os.Symlink("a.txt", filepath.Join(src, "inside"))
	os.Symlink("../shared/s.txt", filepath.Join(src, "up"))
	os.Symlink("../shared", filepath.Join(src, "shareddir"))
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(src, "sub", "escape"))

	// By default no link is read through: all stay links.
	es, err := walk(t, Links{Root: root}, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/app/inside", "/app/up", "/app/shareddir", "/app/sub/escape"} {
		if e, ok := find(es, p); !ok || e.Type != layering.TypeSymlink {
			t.Errorf("%s: %+v, want a symlink", p, e)
		}
	}
	for _, e := range es {
		if strings.HasPrefix(e.Source, outside) {
			t.Errorf("reads outside the project: %+v", e)
		}
	}

	// Followed: the targets inside the project are copied; the one outside is refused.
	if _, err := walk(t, Links{Root: root, Follow: true}, src); err == nil || !strings.Contains(err.Error(), "leaves the project") || !strings.Contains(err.Error(), "escape") {
		t.Errorf("a link outside the project was followed: %v", err)
	}
	os.Remove(filepath.Join(src, "sub", "escape"))
	es, err = walk(t, Links{Root: root, Follow: true}, src)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := find(es, "/app/inside"); e.Type != layering.TypeSymlink {
		t.Errorf("a link inside its directory was not kept: %+v", e)
	}
	if e, _ := find(es, "/app/up"); e.Type != layering.TypeFile || !strings.HasSuffix(e.Source, "shared/s.txt") {
		t.Errorf("up: %+v", e)
	}
	if e, _ := find(es, "/app/shareddir/deep/d.txt"); e.Type != layering.TypeFile {
		t.Errorf("a linked directory was not copied: %+v", es)
	}

	// A loop through links is an error, not a hang.
	os.Symlink("..", filepath.Join(root, "shared", "deep", "loop"))
	if _, err := walk(t, Links{Root: root, Follow: true}, src); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("loop: %v", err)
	}
}

func TestSpecialFilesRefused(t *testing.T) {
	src := t.TempDir()
	p := filepath.Join(src, "pipe")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("no mkfifo:", err)
	}
	_, err := walk(t, Links{Root: src}, src)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("got %v", err)
	}
	os.Remove(p)
	if err := syscall.Mknod(filepath.Join(src, "null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Logf("no mknod here (%v): device files not tried", err)
		return
	}
	if _, err := walk(t, Links{Root: src}, src); err == nil || !strings.Contains(err.Error(), "device file") {
		t.Errorf("got %v", err)
	}
}
