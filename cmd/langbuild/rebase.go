package main

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/langbuild/langbuild/base"
	"github.com/langbuild/langbuild/image"
	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/publish"
)

func newRebase() *cobra.Command {
	var (
		apt      aptFlags
		from     string
		out      outputFlags
		platform string
		cacheDir string
		registry registryFlags
	)
	cmd := &cobra.Command{
		Use:   "rebase IMAGE --from NEWBASE",
		Short: "Move an image langbuild built onto a new base without rebuilding it",
		Long: `Swap the base layers of IMAGE (a registry reference, oci:DIR[:TAG] or
tar:FILE) for those of NEWBASE, keeping the application layers as they are.
The old base is the one IMAGE's annotations name. The result goes to each
--output, by default back to IMAGE when it is a registry reference; only the
blobs the registry lacks are uploaded.`,
		Example: `  langbuild rebase 127.0.0.1:5000/app:1 --from debian:java17
  langbuild rebase oci:out/app --from 127.0.0.1:5000/base@sha256:... -o oci:out/app-rebased`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := args[0]
			if from == "" {
				return usageErrorf("give the new base with --from")
			}
			if len(out.outputs) == 0 {
				if strings.HasPrefix(target, "oci:") || strings.HasPrefix(target, "tar:") || strings.Contains(target, "@") {
					return usageErrorf("give --output: %s cannot be written back in place", target)
				}
				out.outputs = []string{target}
			}
			if err := out.checkFiles(); err != nil {
				return err
			}
			pl, err := lang.ParsePlatform(platform)
			if err != nil {
				return usageErrorf("--platform: %v", err)
			}
			cache, err := openCache(cacheDir)
			if err != nil {
				return err
			}
			reg, err := registry.options()
			if err != nil {
				return err
			}
			opts := base.Options{
				Platform: v1.Platform{OS: pl.OS, Architecture: pl.Arch, Variant: pl.Variant},
				Cache:    cache,
				Registry: reg,
			}
			if strings.HasPrefix(from, "debian:") {
				if opts.Debian, err = apt.options(); err != nil {
					return err
				}
			}
			pub, err := publishers(out.outputs, publish.Options{Tags: out.tags, Registry: reg, Name: out.name}, cache)
			if err != nil {
				return err
			}
			defer pub.Close()

			ctx := cmd.Context()
			orig, err := base.Resolve(ctx, target, opts)
			if err != nil {
				return fmt.Errorf("reading %s: %w", target, err)
			}
			oldName, oldDigest, err := image.BaseOf(orig.Image)
			if errors.Is(err, image.ErrNoBase) {
				return fmt.Errorf("%s: %w", target, err)
			} else if err != nil {
				return fmt.Errorf("reading %s: %w", target, err)
			}
			if strings.HasPrefix(oldName, "debian:") && opts.Debian.Sources == nil {
				if opts.Debian, err = apt.options(); err != nil {
					return err
				}
			}
			oldBase, err := base.Find(ctx, oldName, oldDigest, opts)
			if err != nil {
				return err
			}
			newBase, err := base.Resolve(ctx, from, opts)
			if err != nil {
				return err
			}
			if newBase.Digest == oldDigest {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s is already on %s (%s)\n", target, from, oldDigest)
			}
			img, err := image.Rebase(orig.Image, oldBase, newBase)
			if err != nil {
				return fmt.Errorf("rebasing %s: %w", target, err)
			}
			return out.publish(ctx, cmd.OutOrStdout(), pub, img, newBase.Name, newBase.Digest)
		},
	}
	apt.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "the new base: a registry reference, oci:DIR[:TAG], tar:FILE, builtin:static or debian:PRESET[+PKG,...]")
	out.register(cmd, "where to publish: REGISTRY/REPO[:TAG], oci:DIR[:TAG] or tar:FILE (repeatable; default: IMAGE itself, when it is a registry tag)")
	out.registerRecords(cmd)
	fl.StringVar(&platform, "platform", "linux/amd64", "platform of a multi-platform new base to use")
	fl.StringVar(&cacheDir, "cache-dir", "", "cache (default $XDG_CACHE_HOME/langbuild or ~/.cache/langbuild)")
	registry.register(cmd)
	return cmd
}
