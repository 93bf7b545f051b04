package node

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/langbuild/langbuild/lang"
)

// Watch implements lang.Analyzer: the package's directory, and the
// directories outside it that its file: and link: dependencies name (npm
// links them into node_modules, and the image takes them from there).
// node_modules is skipped wherever it is: the lockfile and package.json say
// when what is installed changes, and watching every package's files would
// cost thousands of watches.
func (*Analyzer) Watch(dir string, _ lang.Options) (lang.Watch, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return lang.Watch{}, err
	}
	var pkg packageJSON
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		return lang.Watch{}, err
	}
	w := lang.Watch{Dirs: []string{dir}, Skip: skipNodeModules}
	for _, deps := range []map[string]string{pkg.Dependencies, pkg.OptionalDependencies} {
		for _, spec := range deps {
			target, ok := strings.CutPrefix(spec, "file:")
			if !ok {
				target, ok = strings.CutPrefix(spec, "link:")
			}
			if !ok || strings.HasSuffix(target, ".tgz") || strings.HasSuffix(target, ".tar.gz") {
				continue
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(dir, target)
			}
			target = filepath.Clean(target)
			if rel, err := filepath.Rel(dir, target); err == nil && !strings.HasPrefix(rel, "..") {
				continue // inside the package: watched already
			}
			if fi, err := os.Stat(target); err != nil || !fi.IsDir() {
				continue
			}
			if !slices.Contains(w.Dirs, target) {
				w.Dirs = append(w.Dirs, target)
			}
		}
	}
	slices.Sort(w.Dirs[1:])
	return w, nil
}

func skipNodeModules(_, rel string, _ bool) bool {
	return slices.Contains(strings.Split(rel, "/"), "node_modules")
}
