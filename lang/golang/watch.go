package golang

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"

	"github.com/langbuild/langbuild/lang"
)

// Watch implements lang.Analyzer: the module (every file in it may be
// compiled or embedded), and the directories that go.mod's replace
// directives put in place of other modules, which the build compiles too.
// Nothing in them is skipped: a change that does not touch the binary
// builds it again to the same bytes, and the layer is not pushed again.
func (*Analyzer) Watch(dir string, _ lang.Options) (lang.Watch, error) {
	root, err := findModule(dir)
	if err != nil {
		return lang.Watch{}, err
	}
	gomod := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		return lang.Watch{}, fmt.Errorf("reading %s: %w", gomod, err)
	}
	mf, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return lang.Watch{}, fmt.Errorf("parsing %w", err)
	}
	w := lang.Watch{Dirs: []string{root}}
	seen := map[string]bool{root: true}
	for _, r := range mf.Replace {
		if !modfile.IsDirectoryPath(r.New.Path) {
			continue
		}
		d := r.New.Path
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		d = filepath.Clean(d)
		if seen[d] || inside(root, d) {
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			seen[d] = true
			w.Dirs = append(w.Dirs, d)
		}
	}
	return w, nil
}

// inside reports whether d is root or below it.
func inside(root, d string) bool {
	rel, err := filepath.Rel(root, d)
	return err == nil && rel != ".." && !filepath.IsAbs(rel) && (len(rel) < 3 || rel[:3] != ".."+string(filepath.Separator))
}
