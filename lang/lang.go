// Package lang defines what a language analyzer does: recognise a project and
// turn it into a layering.Plan. Analyzers live in sub-packages (golang, ...);
// they never write tar files or talk to registries.
package lang

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/langbuild/langbuild/layering"
)

// Analyzer recognises projects of one language and plans their images. It
// holds all that langbuild knows of its language: the project files, the
// options (registered as flags by Flags, set as fields by library users),
// what the dev loop watches (Watch), and what the plan needs from its base
// (the plan's Runtime and BaseEntrypoint). No package outside lang/ names a
// language's files.
type Analyzer interface {
	// Name is the language's name, as users write it ("go").
	Name() string
	// Detect reports whether dir is (inside) a project of this language.
	Detect(dir string) (bool, error)
	// Flags registers the language's own options on fs, bound to the
	// analyzer's fields.
	Flags(fs FlagSet)
	// Analyze compiles what needs compiling (unless opts.PlanOnly) and
	// returns the plan of the image.
	Analyze(ctx context.Context, dir string, opts Options) (*layering.Plan, error)
	// Watch says which files the dev loop watches for the project in dir.
	Watch(dir string, opts Options) (Watch, error)
}

// FlagSet is where a language registers its flags. cmd passes its command's
// flag set (spf13/pflag's has these methods); only cmd parses flags.
type FlagSet interface {
	StringVar(p *string, name, value, usage string)
	BoolVar(p *bool, name string, value bool, usage string)
	StringArrayVar(p *[]string, name string, value []string, usage string)
	StringSliceVar(p *[]string, name string, value []string, usage string)
}

// Watch is what the dev loop watches for a project.
type Watch struct {
	// Dirs are the directories whose files are inputs, the project's own
	// first (a Go module's root, a Maven reactor's, a Node package's), then
	// those outside it that the build reads (a module that go.mod replaces
	// with a directory, a file: dependency).
	Dirs []string
	// Skip reports whether a path below dir, one of Dirs (rel is relative
	// to it and slash-separated), is not an input: what the language's tools
	// write (target/ but the classes), installed dependencies
	// (node_modules: the lockfile says when they change), sources read only
	// through what the compiler made of them. Nil skips nothing.
	Skip func(dir, rel string, isDir bool) bool
}

// Platform is the target of a build.
type Platform struct {
	OS, Arch, Variant string
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Arch
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ParsePlatform parses os/arch[/variant].
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return Platform{}, fmt.Errorf("platform %q: want os/arch or os/arch/variant, such as linux/amd64", s)
	}
	p := Platform{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// Options are what every analyzer is given, whatever its language; a
// language's own options are fields of its analyzer.
type Options struct {
	// Platform to build for; zero means linux/amd64.
	Platform Platform
	// WorkDir is a directory kept between builds where an analyzer may put
	// build outputs at stable paths (so compilers can skip up-to-date work).
	WorkDir string
	// Env is the environment build tools run with, and where an analyzer
	// finds the user's settings for them (cmd passes its own: libraries
	// never read the process's environment).
	Env []string
	// PlanOnly asks for the plan without compiling anything.
	PlanOnly bool

	// Notify receives notices for the user (such as "running Maven to fetch
	// what is missing"); libraries print nothing themselves.
	Notify func(string)

	// FollowSymlinks copies what project symlinks that leave their directory
	// point to (inside the project only) instead of keeping them as links.
	FollowSymlinks bool
}

// Getenv returns the value of key in env (KEY=VALUE entries, the last one
// winning, as os/exec does), or "".
func Getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// ErrNotDetected is returned by Select when no analyzer recognises the directory.
var ErrNotDetected = errors.New("no supported project found")

// Marker is implemented by analyzers whose projects are marked by a file in
// their directory (go.mod, pom.xml): when dir holds one, that analyzer is
// chosen before any other detects dir as part of an enclosing project.
type Marker interface {
	Marker() string
}

// Select returns the analyzer whose marker file is in dir, else the first
// that detects dir.
func Select(dir string, analyzers []Analyzer) (Analyzer, error) {
	for _, a := range analyzers {
		if m, ok := a.(Marker); ok {
			if fi, err := os.Stat(filepath.Join(dir, m.Marker())); err == nil && !fi.IsDir() {
				return a, nil
			}
		}
	}
	var names []string
	for _, a := range analyzers {
		ok, err := a.Detect(dir)
		if err != nil {
			return nil, err
		}
		if ok {
			return a, nil
		}
		name := a.Name()
		if m, ok := a.(Marker); ok {
			name += " (" + m.Marker() + ")"
		}
		names = append(names, name)
	}
	return nil, fmt.Errorf("%s: %w (looked for: %s)", dir, ErrNotDetected, strings.Join(names, ", "))
}

// BuildError is a compiler's failure, with its output for the user to read.
type BuildError struct {
	Tool   string
	Output string
	Err    error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("%s failed: %v\n%s", e.Tool, e.Err, strings.TrimRight(e.Output, "\n"))
}

func (e *BuildError) Unwrap() error { return e.Err }
