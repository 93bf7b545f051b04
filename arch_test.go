// Package langbuild_test checks the architecture rules of STYLE.md: which
// packages may import what, and that only cmd reads the environment.
package langbuild_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type goFile struct {
	dir     string // slash-separated, relative to the repo root
	path    string
	imports []string
	src     string
}

func sources(t *testing.T) []goFile {
	t.Helper()
	var files []goFile
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (p == "testprojects" || p == "e2e" || strings.HasPrefix(d.Name(), ".")) && p != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		gf := goFile{dir: filepath.ToSlash(filepath.Dir(p)), path: p, src: string(src)}
		for _, imp := range f.Imports {
			s, _ := strconv.Unquote(imp.Path.Value)
			gf.imports = append(gf.imports, s)
		}
		files = append(files, gf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestOnlyCmdUsesCobraAndEnv(t *testing.T) {
	for _, f := range sources(t) {
		if strings.HasPrefix(f.dir, "cmd/") {
			continue
		}
		for _, imp := range f.imports {
			if strings.HasPrefix(imp, "github.com/spf13/") {
				t.Errorf("%s imports %s: only cmd/ may", f.path, imp)
			}
		}
		for _, call := range []string{"os.Getenv(", "os.LookupEnv(", "os.Environ("} {
			if strings.Contains(f.src, call) {
				t.Errorf("%s calls %s: only cmd/ reads the environment", f.path, call)
			}
		}
	}
}

func TestLayeringAndAnalyzersStayInTheirLane(t *testing.T) {
	for _, f := range sources(t) {
		for _, imp := range f.imports {
			switch {
			case f.dir == "layering":
				if strings.Contains(imp, ".") && !strings.HasPrefix(imp, "github.com/klauspost/") {
					t.Errorf("%s imports %s: layering uses the standard library and compression only", f.path, imp)
				}
			case strings.HasPrefix(f.dir, "lang"):
				if imp == "archive/tar" || strings.HasPrefix(imp, "github.com/google/go-containerregistry") {
					t.Errorf("%s imports %s: analyzers produce plans, they do not write tar or talk to registries", f.path, imp)
				}
			}
		}
		if f.dir != "layering" && strings.Contains(f.src, "tar.NewWriter(") {
			t.Errorf("%s writes tar: layering holds the only tar writer", f.path)
		}
	}
}
