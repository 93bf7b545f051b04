package debian

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDeb unpacks arbitrary bytes as a .deb: an error or files below the
// root, never a panic and never a file outside the root.
func FuzzDeb(f *testing.F) {
	f.Add([]byte("!<arch>\ndebian-binary   0           0     0     100644  4         `\n2.0\n"))
	f.Add([]byte("!<arch>\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		blob := filepath.Join(dir, "x.deb")
		os.WriteFile(blob, b, 0o644)
		root := filepath.Join(dir, "root")
		unpack(blob, root, Package{Name: "x", Filename: "x.deb"})
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && p != dir && p != blob && !isWithin(p, root) {
				t.Errorf("%s written outside the root", p)
			}
			return nil
		})
	})
}

func isWithin(p, root string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && (len(rel) < 3 || rel[:3] != "../")
}
