// Package golang plans images of Go applications: the binary built with the
// real `go build` (static, trimmed paths), and ko's kodata/ static assets, each
// in its own layer.
package golang

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

const (
	// AppDir is where the binary goes in the image.
	AppDir = "/app"
	// DataPath is where kodata/ goes, as with ko, so ko users can switch.
	DataPath = "/var/run/ko"
	// DataPathEnv names the variable that tells the program where its data is.
	DataPathEnv = "KO_DATA_PATH"
	// NonrootUser is distroless's nonroot user.
	NonrootUser = "65532"
)

// Analyzer is the Go analyzer.
type Analyzer struct {
	Options
}

// Options are the Go analyzer's own options.
type Options struct {
	// GoFlags are extra `go build` flags; Ldflags and Tags its -ldflags and
	// -tags.
	GoFlags []string
	Ldflags string
	Tags    []string
}

// settings are what a build is given: the common options and Go's own.
type settings struct {
	lang.Options
	own
}

type own = Options

// New returns the Go analyzer.
func New() *Analyzer { return &Analyzer{} }

// Flags implements lang.Analyzer.
func (a *Analyzer) Flags(fs lang.FlagSet) {
	fs.StringVar(&a.Ldflags, "ldflags", "", "Go: -ldflags for go build")
	fs.StringSliceVar(&a.Tags, "go-tags", nil, "Go: build tags")
	fs.StringArrayVar(&a.GoFlags, "go-flag", nil, "Go: extra go build flag (repeatable)")
}

// Name implements lang.Analyzer.
func (*Analyzer) Name() string { return "go" }

// Marker implements lang.Marker.
func (*Analyzer) Marker() string { return "go.mod" }

// Detect implements lang.Analyzer: dir is in a Go module.
func (*Analyzer) Detect(dir string) (bool, error) {
	_, err := findModule(dir)
	if errors.Is(err, errNoModule) {
		return false, nil
	}
	return err == nil, err
}

var errNoModule = errors.New("no go.mod")

// findModule returns the directory of the go.mod that dir belongs to.
func findModule(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%s: %w in it or any parent directory; run `go mod init` there", dir, errNoModule)
		}
		d = parent
	}
}

// Analyze implements lang.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, dir string, lo lang.Options) (*layering.Plan, error) {
	opts := settings{lo, a.Options}
	if opts.Platform.OS == "" {
		opts.Platform = lang.Platform{OS: "linux", Arch: "amd64"}
	}
	root, err := findModule(dir)
	if err != nil {
		return nil, err
	}
	gomod := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", gomod, err)
	}
	mf, err := modfile.ParseLax(gomod, data, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing %w", err)
	}
	if mf.Module == nil {
		return nil, fmt.Errorf("%s has no module line", gomod)
	}
	pkgDir, err := findMain(dir, root, opts.Platform)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, pkgDir)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(pkgDir)
	if rel == "." {
		name = filepath.Base(mf.Module.Mod.Path)
	}
	b := goBuild{root: root, pkg: "./" + filepath.ToSlash(rel), name: name, opts: opts}
	out, err := b.output()
	if err != nil {
		return nil, err
	}
	if !opts.PlanOnly {
		if err := b.run(ctx, out); err != nil {
			return nil, err
		}
	}
	assets, err := kodata(filepath.Join(pkgDir, "kodata"), root)
	if err != nil {
		return nil, err
	}
	bin := AppDir + "/" + name
	binLayer := layering.Layer{Name: "go binary, at " + bin, Entries: []layering.Entry{
		{Path: bin, Type: layering.TypeFile, Source: out, Mode: 0o755},
	}}
	if id := buildID(out); id != "" && !opts.PlanOnly {
		// The build ID ends with the hash of the binary's content.
		binLayer.Key, binLayer.KeyOnly = "go-binary/v1\x00"+id+"\x00"+bin+"\x000755", true
	}
	return &layering.Plan{
		Layers: []layering.Layer{
			{Name: "static assets (kodata), at $" + DataPathEnv, Entries: assets},
			binLayer,
		},
		Config: layering.Config{
			Entrypoint: []string{bin},
			Env:        []string{DataPathEnv + "=" + DataPath},
			User:       NonrootUser,
		},
	}, nil
}
