package golang

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/langbuild/langbuild/lang"
)

type goBuild struct {
	root, pkg, name string
	opts            settings
}

// args are the `go build` arguments, but for -o.
func (b goBuild) args() []string {
	args := []string{"build", "-trimpath"}
	vcs := false
	for _, f := range b.opts.GoFlags {
		if strings.HasPrefix(f, "-buildvcs") {
			vcs = true
		}
	}
	if !vcs {
		// VCS stamping would make the binary depend on the checkout, not the sources.
		args = append(args, "-buildvcs=false")
	}
	if b.opts.Ldflags != "" {
		args = append(args, "-ldflags="+b.opts.Ldflags)
	}
	if len(b.opts.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(b.opts.Tags, ","))
	}
	return append(args, b.opts.GoFlags...)
}

func (b goBuild) env() []string {
	env := append([]string(nil), b.opts.Env...)
	env = append(env, "CGO_ENABLED=0", "GOOS="+b.opts.Platform.OS, "GOARCH="+b.opts.Platform.Arch)
	if v := b.opts.Platform.Variant; v != "" {
		switch b.opts.Platform.Arch {
		case "arm":
			env = append(env, "GOARM="+strings.TrimPrefix(v, "v"))
		case "amd64":
			env = append(env, "GOAMD64="+v)
		}
	}
	return env
}

// output is where the binary is built: a stable path per module, package,
// platform and flags, so an unchanged program is not even relinked.
func (b goBuild) output() (string, error) {
	work := b.opts.WorkDir
	if work == "" {
		work = filepath.Join(os.TempDir(), "langbuild-go")
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%q\x00%q\x00%q", b.root, b.pkg, b.opts.Platform, b.args(), b.env()[len(b.opts.Env):], buildSettings(b.opts.Env))
	dir := filepath.Join(work, "go", hex.EncodeToString(h.Sum(nil))[:20])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(dir, b.name), nil
}

// buildSettings are the variables of the user's environment that change
// what go build makes (GOAMD64, GOFLAGS, GOEXPERIMENT, GOTOOLCHAIN, CGO_...):
// builds that differ in them must not share an output, or two at once could
// swap binaries. Variables that only say where things are kept, or where
// modules come from, are left out: they change no binary.
func buildSettings(env []string) []string {
	inert := map[string]bool{"GOPATH": true, "GOCACHE": true, "GOMODCACHE": true, "GOENV": true, "GOTMPDIR": true, "GOBIN": true,
		"GOPROXY": true, "GONOPROXY": true, "GOSUMDB": true, "GONOSUMDB": true, "GOPRIVATE": true, "GOINSECURE": true,
		"GOTELEMETRY": true, "GOTELEMETRYDIR": true, "GOAUTH": true, "GOVCS": true}
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if (strings.HasPrefix(k, "GO") || strings.HasPrefix(k, "CGO_")) && !inert[k] {
			out = append(out, kv)
		}
	}
	sort.Strings(out)
	return out
}

func (b goBuild) run(ctx context.Context, out string) error {
	args := append(b.args(), "-o", out, b.pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.root
	cmd.Env = b.env()
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return &lang.BuildError{Tool: "go " + strings.Join(args, " "), Output: buf.String(), Err: err}
	}
	return nil
}
