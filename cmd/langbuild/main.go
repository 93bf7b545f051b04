// Command langbuild builds OCI images of Go, Java and Node projects from their
// own build outputs, with no Docker daemon.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/pipeline"
)

func main() {
	tuneGC()
	// LANGBUILD_CPUPROFILE=FILE writes a CPU profile, for work on speed.
	if f := os.Getenv("LANGBUILD_CPUPROFILE"); f != "" {
		if out, err := os.Create(f); err == nil {
			pprof.StartCPUProfile(out)
			defer pprof.StopCPUProfile()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		code := report(err)
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}

// report prints err for a person and chooses the exit code.
func report(err error) int {
	var fe *flagError
	var be *lang.BuildError
	switch {
	case errors.As(err, &fe):
		fmt.Fprintf(os.Stderr, "langbuild: %v\nRun 'langbuild --help' for usage.\n", fe.err)
		return 2
	case errors.As(err, &be):
		fmt.Fprintf(os.Stderr, "%s\nlangbuild: %s failed; fix the errors above and build again\n", trimNL(be.Output), be.Tool)
		return 1
	case errors.Is(err, lang.ErrNotDetected):
		fmt.Fprintf(os.Stderr, "langbuild: %v\nlangbuild builds Go modules, Maven projects and Node packages; run it in a project directory or name one.\n", err)
		return 1
	}
	var de *pipeline.DefaultBaseError
	if errors.As(err, &de) {
		fmt.Fprintf(os.Stderr, "langbuild: %v\n", err)
		if alt := offlineBases[de.Language]; alt != "" {
			fmt.Fprintf(os.Stderr, "langbuild: to build without pulling it, give --from %s: a base built from Debian packages by langbuild, from this machine's apt sources, and cached\n", alt)
		}
		return 1
	}
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == 401 || te.StatusCode == 403) && te.Request != nil {
		fmt.Fprintf(os.Stderr, "langbuild: %s\n", refusal(err, te, credentialsTried))
		return 1
	}
	fmt.Fprintf(os.Stderr, "langbuild: %v\n", err)
	var ue *url.Error
	switch {
	case errors.As(err, &ue) && ue.Timeout():
		fmt.Fprintf(os.Stderr, "langbuild: the registry stopped answering: check that it is up, then build again (a slow link may need a larger --registry-timeout)\n")
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "langbuild: the connection to the registry failed: check that it is up and reachable, then build again (--retries sets how often a failed request is tried again)\n")
	}
	return 1
}

func trimNL(s string) string {
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return s
}

// flagError is a usage mistake: exit code 2.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &flagError{fmt.Errorf(format, args...)}
}

// tuneGC lets the heap grow further between collections than Go's default:
// a build is a short process whose garbage is mostly compressor and copy
// buffers, and on a one-line Go change the default collector cost about 4 ms
// of the 20 ms spent writing the binary's layer. A soft limit of 1 GiB keeps
// large builds bounded. GOGC and GOMEMLIMIT, when set, win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(800)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
}
