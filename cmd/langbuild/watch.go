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
	"github.com/langbuild/langbuild/lang"
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
			a, err := lang.Select(opts.Dir, opts.Analyzers)
			if err != nil {
				return err
			}
			rules, err := a.Watch(opts.Dir, opts.Lang)
			if err != nil {
				return err
			}
			root := rules.Dirs[0]
			outs := outputPaths(f.outputs)
			skip := func(rel string, isDir bool) bool {
				return skipForWatch(root, rel, outs) || rules.Skip != nil && rules.Skip(root, rel, isDir)
			}
			err = devloop.Run(ctx, devloop.Options{Dir: root, Skip: skip, Debounce: debounce, Changed: changed}, build)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	f.projectFlags.register(cmd)
	f.outputFlags.register(cmd, outputHelp)
	fl := cmd.Flags()
	fl.StringVar(&execCmd, "exec", "", "command to run (with sh -c) after each push")
	fl.DurationVar(&debounce, "debounce", 200*time.Millisecond, "how long changes must settle before a build")
	return cmd
}

// skipForWatch ignores, in any project, what does not feed a build:
// version control's and IDEs' data, langbuild's own directory, editors'
// backup and swap files, what this watch writes (its oci: and tar:
// outputs), and any OCI image layout (an image written into the project).
// The language's own rules (lang.Watch) come on top.
func skipForWatch(root, rel string, outputs []string) bool {
	first, _, _ := strings.Cut(rel, "/")
	switch first {
	case ".git", ".hg", ".svn", ".idea", ".vscode", ".langbuild":
		return true
	}
	abs := filepath.Join(root, filepath.FromSlash(rel))
	for _, o := range outputs {
		if abs == o || strings.HasPrefix(abs, o+string(filepath.Separator)) {
			return true
		}
	}
	if _, err := os.Stat(filepath.Join(abs, "oci-layout")); err == nil {
		return true
	}
	base := path.Base(rel)
	return strings.HasSuffix(base, "~") || strings.HasPrefix(base, ".#") || strings.HasSuffix(base, ".swp")
}

// outputPaths are the files and directories that the oci: and tar: outputs
// write, as absolute paths.
func outputPaths(outputs []string) []string {
	var out []string
	for _, o := range outputs {
		if p := publish.LocalPath(o); p != "" {
			if abs, err := filepath.Abs(p); err == nil {
				out = append(out, abs)
			}
		}
	}
	return out
}
