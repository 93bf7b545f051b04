package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/langbuild/langbuild/layering"
	"github.com/langbuild/langbuild/pipeline"
	"github.com/langbuild/langbuild/publish"
)

type buildFlags struct {
	projectFlags
	outputFlags
	quiet   bool
	timings bool
}

func newBuild() *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build [DIR|PKG]",
		Short: "Build an image of the project in DIR (default .) and publish it",
		Long: `Build an image of the project in DIR (default: the current directory) and
publish it to each --output:

  REGISTRY/REPO[:TAG]   push to a registry (only blobs it lacks are uploaded)
  oci:DIR[:TAG]         write into an OCI image layout
  tar:FILE              write a docker-loadable tarball

For Go, DIR may be a package directory inside the module, e.g. ./cmd/server.
The image reference, pinned by digest, is printed on stdout.`,
		Example: `  langbuild build --from builtin:static --output oci:out/hello .
  langbuild build ./cmd/server --output 127.0.0.1:5000/server:dev --tag v1`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if err := f.skaffold(&dir, len(args) == 1, cmd.Flags().Changed("platform")); err != nil {
				return err
			}
			if len(f.outputs) == 0 {
				return usageErrorf("no output: give --output REGISTRY/REPO[:TAG], oci:DIR or tar:FILE")
			}
			opts, err := f.options(dir)
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			var live *liveView
			if !f.quiet && isTerminal(stderr) {
				live = newLiveView(stderr)
			}
			var uploaded func(int64)
			var events *jsonEvents
			switch {
			case live != nil:
				uploaded = live.sent
			case f.jsonOut && !f.quiet:
				events = &jsonEvents{w: stderr}
				uploaded = events.uploaded
			}
			pub, err := publishers(f.outputs, publish.Options{Tags: f.tags, Registry: opts.Registry, Name: f.name, Uploaded: uploaded}, opts.Cache)
			if err != nil {
				return err
			}
			defer pub.Close()
			if err := f.checkFiles(); err != nil {
				return err
			}
			opts.Lang.Notify = func(msg string) { fmt.Fprintln(stderr, "langbuild: "+msg) }
			if !f.quiet {
				opts.BaseChosen = func(spec, why string) { fmt.Fprintf(stderr, "langbuild: base %s: %s\n", spec, why) }
			}
			switch {
			case live != nil:
				opts.Progress = live.layer
			case events != nil:
				opts.Progress = events.layer
			case !f.quiet:
				opts.Progress = progressPrinter(stderr)
			}
			res, err := pipeline.Build(cmd.Context(), opts, pub)
			if live != nil {
				live.finish()
			}
			if err != nil {
				return err
			}
			if f.timings {
				t := res.Timings
				r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
				blobs, err := publishedBlobs(res, f.outputs)
				if err != nil {
					return err
				}
				if blobs != "" {
					blobs = " (" + blobs + ")"
				}
				fmt.Fprintf(stderr, "timings: analyze (compile, resolve) %s | base %s (in parallel) | layers %s: stat+hash %s, tar+compress %s (%d of %d layers written) | assemble %s | publish %s%s\n",
					r(t.Analyze), r(t.Base), r(t.Layers), r(t.Hash), r(t.Compress), t.LayersBuilt, len(res.Blobs), r(t.Assemble), r(t.Publish), blobs)
			}
			sum, err := summarize(res, f.outputs, f.tags)
			if err != nil {
				return err
			}
			return f.report(cmd.OutOrStdout(), sum)
		},
	}
	f.projectFlags.register(cmd)
	f.outputFlags.register(cmd, outputHelp)
	f.registerRecords(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only the result")
	fl.BoolVar(&f.timings, "timings", false, "print how long each phase took")
	return cmd
}

// checkWritable fails early, before anything is built or pushed, when an
// output file cannot be written.
func checkWritable(file string) error {
	if file == "" {
		return nil
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", file, err)
	}
	return f.Close()
}

func progressPrinter(w io.Writer) func(layering.Event) {
	var mu sync.Mutex
	return func(e layering.Event) {
		var msg string
		switch e.Phase {
		case "cached":
			msg = fmt.Sprintf("layer %q unchanged (%s)", e.Layer, size(e.Bytes))
		case "compressed":
			msg = fmt.Sprintf("layer %q built: %s in %s", e.Layer, size(e.Bytes), e.Elapsed.Round(100000))
		default:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(w, strings.TrimSpace(msg))
	}
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// publishers makes the publisher for every --output, combined. Registry
// pushes keep their record of pushed blobs in the cache.
func publishers(outputs []string, o publish.Options, cache *layering.Cache) (publish.Interface, error) {
	o.PushedDir = filepath.Join(cache.Dir(), "pushed")
	var pubs []publish.Interface
	for _, out := range outputs {
		p, err := publish.New(out, o)
		if err != nil {
			return nil, usageErrorf("--output %s: %v", out, err)
		}
		pubs = append(pubs, p)
	}
	return publish.Multi(pubs...), nil
}

// publishAndPrint publishes img and prints where it went, one reference a line.
func publishAndPrint(ctx context.Context, cmd *cobra.Command, pub publish.Interface, img v1.Image) error {
	res, err := pub.Publish(ctx, img)
	if err != nil {
		return err
	}
	for _, r := range res.References {
		fmt.Fprintln(cmd.OutOrStdout(), r)
	}
	return nil
}
