package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/langbuild/langbuild/devloop"
	"github.com/langbuild/langbuild/pipeline"
	"github.com/langbuild/langbuild/publish"
)

func newWatch() *cobra.Command {
	var f buildFlags
	var execCmd string
	var debounce time.Duration
	cmd := &cobra.Command{
		Use:   "watch [DIR|PKG]",
		Short: "Build and push, then again on every change, until interrupted",
		Long: `Build and publish the project, then watch its files and build and publish
again whenever they change (after a burst of changes settles), printing one line
per push: the layers that moved, their size, the time, the digest. For Java,
compile in your IDE or with mvn compile: langbuild watches the compiled classes.
Ctrl-C stops it cleanly; an interrupted push never leaves a tag on a partial
image.

--exec runs a command after each push, with LANGBUILD_IMAGE (the reference
pinned by digest) and LANGBUILD_DIGEST in its environment.`,
		Example: `  langbuild watch --from builtin:static -o 127.0.0.1:5000/app:dev \
    --exec 'kubectl set image deploy/app app=$LANGBUILD_IMAGE'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if len(f.outputs) == 0 {
				return usageErrorf("no output: give --output REGISTRY/REPO[:TAG], oci:DIR or tar:FILE")
			}
			opts, err := f.options(dir)
			if err != nil {
				return err
			}
			// One publisher for the session: blobs it pushed once are not
			// asked about again.
			pub, err := publishers(f.outputs, publish.Options{Tags: f.tags, Registry: opts.Registry, Name: f.name}, opts.Cache)
			if err != nil {
				return err
			}
			defer pub.Close()
			stderr := cmd.ErrOrStderr()
			opts.Lang.Notify = func(msg string) { fmt.Fprintln(stderr, "langbuild: "+msg) }
			// The base is named when it is first chosen, and again when a
			// change moves the project to another Java.
			var lastBase string
			opts.BaseChosen = func(spec, why string) {
				if spec != lastBase {
					lastBase = spec
					fmt.Fprintf(stderr, "langbuild: base %s: %s\n", spec, why)
				}
			}
			out := cmd.OutOrStdout()
			ctx := cmd.Context()
			build := func(ctx context.Context) error {
				start := time.Now()
				res, err := pipeline.Build(ctx, opts, pub)
				if err != nil {
					if ctx.Err() == nil {
						fmt.Fprintf(stderr, "langbuild: %v\n", err)
					}
					return err
				}
				moved, bytes := 0, int64(0)
				for _, b := range res.Blobs {
					for _, w := range res.Publish.Written {
						if w == b.Digest {
							moved++
							bytes += b.Size
						}
					}
				}
				ref := strings.Join(res.Publish.References, " ")
				fmt.Fprintf(out, "pushed %s: %d of %d layers moved (%s) in %s\n", ref, moved, len(res.Blobs), size(bytes), time.Since(start).Round(time.Millisecond))
				if execCmd != "" {
					c := exec.CommandContext(ctx, "sh", "-c", execCmd)
					c.Stdout, c.Stderr = stderr, stderr
					c.Env = append(os.Environ(), "LANGBUILD_DIGEST="+res.Digest, "LANGBUILD_IMAGE="+res.Publish.References[0])
					if err := c.Run(); err != nil && ctx.Err() == nil {
						fmt.Fprintf(stderr, "langbuild: --exec: %v\n", err)
					}
				}
				return nil
			}
			changed := func(rel string) { fmt.Fprintln(stderr, "changed: "+rel) }
			root := projectRoot(opts.Dir)
			_, err = os.Stat(filepath.Join(root, "pom.xml"))
			maven := err == nil
			skip := func(rel string, isDir bool) bool { return skipForWatch(rel, isDir, maven) }
			err = devloop.Run(ctx, devloop.Options{Dir: root, Skip: skip, Debounce: debounce, Changed: changed}, build)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "where to publish: REGISTRY/REPO[:TAG], oci:DIR[:TAG] or tar:FILE (repeatable)")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "extra tag for registry outputs (repeatable)")
	fl.StringVar(&f.name, "name", "", "image name for tarball RepoTags and OCI layout ref names")
	fl.StringVar(&execCmd, "exec", "", "command to run (with sh -c) after each push")
	fl.DurationVar(&debounce, "debounce", 200*time.Millisecond, "how long changes must settle before a build")
	return cmd
}

// skipForWatch ignores what does not feed a build: VCS data, editors' files,
// langbuild's own output, dependencies below node_modules (the lockfile
// tells when they change), and for Maven projects the target directory
// except the compiled classes, and the sources (the build reads what the
// compiler made of them) except the extra files' src/main/langbuild and
// src/main/jib.
func skipForWatch(rel string, isDir, maven bool) bool {
	first, rest, _ := strings.Cut(rel, "/")
	switch first {
	case ".git", ".idea", ".vscode", ".langbuild", "node_modules", "image":
		return true
	case "target":
		return rel != "target" && !strings.HasPrefix(rest, "classes")
	case "src":
		if maven && rel != "src" && rest != "main" && !strings.HasPrefix(rest, "main/langbuild") && !strings.HasPrefix(rest, "main/jib") {
			return true
		}
	}
	base := path.Base(rel)
	return strings.HasSuffix(base, "~") || strings.HasPrefix(base, ".#") || strings.HasSuffix(base, ".swp")
}

// projectRoot is the nearest directory at or above dir with a project file,
// so that watching a Go package also sees the module's other packages.
func projectRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		for _, m := range []string{"go.mod", "pom.xml", "package.json"} {
			if _, err := os.Stat(filepath.Join(d, m)); err == nil {
				return d
			}
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
