package main

import (
	"fmt"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/langbuild/langbuild/base"
	"github.com/langbuild/langbuild/base/debian"
	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/publish"
)

// aptFlags choose where Debian packages come from.
type aptFlags struct {
	mirrors []string
	suite   string
	keyring string
}

func (f *aptFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.mirrors, "mirror", nil, "Debian mirror URL to use instead of the machine's apt sources (repeatable: URL or 'URL SUITE')")
	fl.StringVar(&f.suite, "suite", "", "Debian release of debian: bases (default: the preset's: bullseye for java11, trixie for java21 and java25, else bookworm)")
	fl.StringVar(&f.keyring, "keyring", "", "OpenPGP keyring that signs the mirror's Release files (default: each apt source's Signed-By, else Debian's archive keyring)")
}

// options reads the apt sources of this machine (or the --mirror flags).
func (f *aptFlags) options() (base.DebianOptions, error) {
	o := base.DebianOptions{Suite: f.suite, Keyring: f.keyring, NpmRegistry: npmRegistry("")}
	if len(f.mirrors) > 0 {
		for _, m := range f.mirrors {
			// A mirror without a suite serves the suite the base is built from.
			uri, suite, _ := strings.Cut(m, " ")
			if suite == "" {
				suite = f.suite
			}
			o.Sources = append(o.Sources, debian.Source{URI: strings.TrimSuffix(uri, "/"), Suite: suite, Components: []string{"main"}})
		}
		return o, nil
	}
	srcs, err := debian.ReadSources("/etc/apt")
	if err != nil {
		return o, fmt.Errorf("reading apt sources: %w", err)
	}
	o.Sources = srcs
	return o, nil
}

func newBase() *cobra.Command {
	cmd := &cobra.Command{Use: "base", Short: "Build base images"}
	cmd.AddCommand(newBaseBuild())
	return cmd
}

func newBaseBuild() *cobra.Command {
	var (
		apt      aptFlags
		preset   string
		packages []string
		outputs  []string
		tags     []string
		platform string
		cacheDir string
		registry registryFlags
		quiet    bool
	)
	presets := make([]string, 0, len(debian.Presets))
	for n := range debian.Presets {
		presets = append(presets, n)
	}
	sort.Strings(presets)
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build a distroless-style base image from Debian packages",
		Long: `Build a base image from Debian packages, without dpkg, apt or any script:
the packages' dependency closure is resolved from the apt sources' signed
indexes, the .deb files are downloaded (checked by sha256, cached), unpacked,
and what maintainer scripts would have done is done declaratively (users and
groups, CA bundle, Java trust store, timezone, dpkg status entries).

Presets: ` + strings.Join(presets, ", ") + `, and nodejsNN for any Node major
NN: Node's official build (the newest release of that major in the npm
registry of the npm configuration, checked against its sha512 integrity) on
the Debian libraries it links. --package adds packages (with their dependencies).
The same base is available to 'langbuild build --from debian:PRESET[+PKG,...]'.`,
		Example: `  langbuild base build --preset java17 --output oci:out/java17
  langbuild base build --preset static --package libcap2 --output 127.0.0.1:5000/base:static`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(outputs) == 0 {
				return usageErrorf("no output: give --output REGISTRY/REPO[:TAG], oci:DIR or tar:FILE")
			}
			if preset == "" && len(packages) == 0 {
				return usageErrorf("give --preset (%s) or --package", strings.Join(presets, ", "))
			}
			spec, err := base.ParseDebianSpec(base.DebianSpec{Preset: preset, Packages: packages}.String()[len("debian:"):])
			if err != nil {
				return usageErrorf("%v", err)
			}
			pl, err := lang.ParsePlatform(platform)
			if err != nil {
				return usageErrorf("--platform: %v", err)
			}
			dopts, err := apt.options()
			if err != nil {
				return err
			}
			cache, err := openCache(cacheDir)
			if err != nil {
				return err
			}
			reg, err := registry.options()
			if err != nil {
				return err
			}
			pub, err := publishers(outputs, publish.Options{Tags: tags, Registry: reg, Name: "langbuild/base:" + preset}, cache)
			if err != nil {
				return err
			}
			defer pub.Close()
			b, err := base.BuildDebian(cmd.Context(), spec, base.Options{
				Platform: v1.Platform{OS: pl.OS, Architecture: pl.Arch, Variant: pl.Variant},
				Cache:    cache,
				Registry: reg,
				Debian:   dopts,
			}, true)
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			if !quiet {
				fmt.Fprintf(stderr, "%d packages from %s (%d downloaded):\n", len(b.Packages), b.Result.Suite, b.Result.Downloaded)
				for _, p := range b.Packages {
					fmt.Fprintln(stderr, "  "+p)
				}
				for _, s := range b.Result.Unverified {
					fmt.Fprintf(stderr, "warning: no keyring for %s: its Release signature was not checked\n", s)
				}
				if len(b.Result.Derived) > 0 {
					fmt.Fprintf(stderr, "no apt source names %s: read it from the Debian mirrors of the apt sources:\n", b.Result.Suite)
					for _, s := range b.Result.Derived {
						fmt.Fprintln(stderr, "  "+s.String())
					}
				}
			}
			return publishAndPrint(cmd.Context(), cmd, pub, b.Image)
		},
	}
	apt.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&preset, "preset", "", "package set: "+strings.Join(presets, ", "))
	fl.StringArrayVar(&packages, "package", nil, "extra Debian package, with its dependencies (repeatable; NAME or NAME=VERSION)")
	fl.StringArrayVarP(&outputs, "output", "o", nil, "where to publish: REGISTRY/REPO[:TAG], oci:DIR[:TAG] or tar:FILE (repeatable)")
	fl.StringArrayVarP(&tags, "tag", "t", nil, "extra tag for registry outputs (repeatable)")
	fl.StringVar(&platform, "platform", "linux/amd64", "target platform os/arch[/variant]")
	fl.StringVar(&cacheDir, "cache-dir", "", "cache (default $XDG_CACHE_HOME/langbuild or ~/.cache/langbuild)")
	registry.register(cmd)
	fl.BoolVarP(&quiet, "quiet", "q", false, "print only the result")
	return cmd
}
