// Package langbuild_test checks the architecture rules of STYLE.md: which
// packages may import what, and that only cmd reads the environment.
package langbuild_test

import (
	"go/ast"
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

// TestLanguageKnowledgeStaysInLang: outside lang/, no code names a
// language's project files or reads a plan's facts; what the rest of the
// build needs of a language is a typed field of the plan or of lang's
// contract (Runtime, BaseEntrypoint, Watch, Flags).
func TestLanguageKnowledgeStaysInLang(t *testing.T) {
	files := []string{"pom.xml", "go.mod", "go.sum", "package.json", "package-lock.json", "pnpm-lock.yaml", "yarn.lock", "node_modules", "settings.xml"}
	for _, f := range sources(t) {
		if strings.HasPrefix(f.dir, "lang") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f.path, f.src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, _ := strconv.Unquote(n.Value)
				for _, name := range files {
					if strings.Contains(s, name) {
						t.Errorf("%s: string %q names %s: only lang/ knows a language's files", f.path, s, name)
					}
				}
			case *ast.IndexExpr:
				if sel, ok := n.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Facts" {
					t.Errorf("%s: reads a plan's Facts: give what a step needs a typed field of the plan", f.path)
				}
			}
			return true
		})
	}
}
