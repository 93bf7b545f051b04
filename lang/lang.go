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

// Analyzer recognises projects of one language and plans their images.
type Analyzer interface {
	// Name is the language's name, as users write it ("go").
	Name() string
	// Detect reports whether dir is (inside) a project of this language.
	Detect(dir string) (bool, error)
	// Analyze compiles what needs compiling (unless opts.PlanOnly) and
	// returns the plan of the image.
	Analyze(ctx context.Context, dir string, opts Options) (*layering.Plan, error)
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

// Options are what every analyzer is given.
type Options struct {
	// Platform to build for; zero means linux/amd64.
	Platform Platform
	// WorkDir is a directory kept between builds where an analyzer may put
	// build outputs at stable paths (so compilers can skip up-to-date work).
	WorkDir string
	// Env is the environment build tools run with (cmd passes its own).
	Env []string
	// PlanOnly asks for the plan without compiling anything.
	PlanOnly bool

	// Notify receives notices for the user (such as "running Maven to fetch
	// what is missing"); libraries print nothing themselves.
	Notify func(string)

	// Go: extra `go build` flags, -ldflags and -tags.
	GoFlags []string
	Ldflags string
	Tags    []string

	// Java: the local Maven repository, the JVM's system properties that
	// profile activation reads (java.version), the main class and JVM flags
	// when given, and a classpath resolved by the caller (Maven's
	// %classpath) to use instead of resolving.
	MavenRepo    string
	JavaSysProps map[string]string
	MainClass    string
	Module       string // the module to build, when dir is a multi-module parent
	Jar          string // a built jar (plain or Spring Boot) to build from instead
	// KeepDevDeps keeps development-only dependencies (Spring Boot's
	// devtools and Docker Compose support) that are left out by default.
	KeepDevDeps bool

	// Node: the file to run instead of the derived one, and whether native
	// addons built for another platform may go into the image.
	NodeMain    string
	AllowNative bool
	JVMFlags    []string
	Classpath   []string

	// IncludeEnvFiles puts .env files into a Node image's app layer; they
	// are left out by default, as they often hold secrets.
	IncludeEnvFiles bool

	// FollowSymlinks copies what project symlinks that leave their directory
	// point to (inside the project only) instead of keeping them as links.
	FollowSymlinks bool
}

// Runtime is the language runtime a plan needs from its base.
type Runtime struct {
	// Name is the runtime ("java").
	Name string
	// Version is the lowest version that runs the application (for Java, the
	// release it targets: 21); 0 when the project does not say.
	Version int
	// From says where Version was read, for messages
	// ("the compiler release or target in pom.xml").
	From string
	// Range is the versions the project accepts, as it wrote them, for
	// languages whose projects name a range rather than a lowest version
	// (Node's engines.node: ">=24.18.0"); "" when it names none.
	Range string
}

// RuntimeNeeder is implemented by analyzers whose plans need a runtime of
// some version from the base (Java, Node): the default base is chosen by it.
type RuntimeNeeder interface {
	Runtime(p *layering.Plan) Runtime
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
		names = append(names, a.Name())
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
