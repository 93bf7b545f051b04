package golang

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/langbuild/langbuild/lang"
)

// findMain returns the directory of the main package to build: dir itself
// when it is one, else the only main package below it. The package clauses are
// read with go/build's header scan, which is much cheaper than `go list`.
func findMain(dir, root string, p lang.Platform) (string, error) {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = p.OS, p.Arch, false
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	if isMain(&ctx, abs) {
		return abs, nil
	}
	var mains []string
	err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		base := d.Name()
		if path != abs {
			if base == "testdata" || base == "vendor" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		if isMain(&ctx, path) {
			mains = append(mains, path)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	switch len(mains) {
	case 1:
		return mains[0], nil
	case 0:
		return "", fmt.Errorf("no main package in %s or below it: an image needs a program (package main with func main)", dir)
	}
	sort.Strings(mains)
	var rels []string
	for _, m := range mains {
		r, _ := filepath.Rel(root, m)
		rels = append(rels, "./"+filepath.ToSlash(r))
	}
	return "", fmt.Errorf("%s holds %d main packages (%s): name the one to build, e.g. `langbuild build %s`",
		dir, len(mains), strings.Join(rels, ", "), rels[0])
}

func isMain(ctx *build.Context, dir string) bool {
	pkg, err := ctx.ImportDir(dir, 0)
	var noGo *build.NoGoError
	if errors.As(err, &noGo) || pkg == nil {
		return false
	}
	return pkg.Name == "main"
}
