package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/langbuild/langbuild/base"
	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
	"github.com/langbuild/langbuild/pipeline"
	"github.com/langbuild/langbuild/transport"
)

// projectFlags are the flags that shape the plan and the build, shared by
// `build` and `plan`.
type projectFlags struct {
	from     string
	platform string
	cacheDir string
	registry registryFlags
	user     string
	env      []string
	labels   []string
	ports    []string
	apt      aptFlags

	retries         int
	responseTimeout time.Duration

	followLinks bool

	// langs are the analyzers, which register their own flags.
	langs []lang.Analyzer
}

func (f *projectFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "base image: a registry reference, oci:DIR[:TAG], tar:FILE, builtin:static, debian:PRESET[+PKG,...], debian:java or debian:node for the Debian Java or Node preset that runs the project (default: the language's distroless base; for Java, the one that runs the release the project targets; for Node, the one whose Node engines.node accepts)")
	fl.StringVar(&f.platform, "platform", "linux/amd64", "target platform os/arch[/variant]")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "layer and base cache (default $XDG_CACHE_HOME/langbuild or ~/.cache/langbuild)")
	f.registry.register(cmd)
	fl.IntVar(&f.retries, "retries", 2, "how many times a failed registry request is tried again, with backoff (0: never)")
	fl.DurationVar(&f.responseTimeout, "registry-timeout", 60*time.Second, "how long to wait for a registry's answer to one request, or for a stalled upload or download to move")
	fl.StringVar(&f.user, "user", "", "user the container runs as (default: nonroot, 65532)")
	fl.StringArrayVar(&f.env, "env", nil, "KEY=VALUE environment variable in the image (repeatable)")
	fl.StringArrayVar(&f.labels, "label", nil, "KEY=VALUE image label (repeatable)")
	fl.StringArrayVar(&f.ports, "port", nil, "exposed port, PORT[/PROTO] (repeatable)")
	fl.BoolVar(&f.followLinks, "follow-symlinks", false, "copy what project symlinks leaving their directory point to (never outside the project) instead of keeping them as links")
	f.langs = analyzers()
	for _, a := range f.langs {
		a.Flags(fl)
	}
	f.apt.register(cmd)
}

// options turns the flags (and the environment: SOURCE_DATE_EPOCH, cache
// location) into pipeline options.
func (f *projectFlags) options(dir string) (pipeline.Options, error) {
	var o pipeline.Options
	abs, err := filepath.Abs(dir)
	if err != nil {
		return o, err
	}
	if fi, err := os.Stat(abs); err != nil {
		return o, usageErrorf("%s: no such directory", dir)
	} else if !fi.IsDir() {
		return o, usageErrorf("%s is not a directory", dir)
	}
	pl, err := lang.ParsePlatform(f.platform)
	if err != nil {
		return o, usageErrorf("--platform: %v", err)
	}
	for _, kv := range append(append([]string{}, f.env...), f.labels...) {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return o, usageErrorf("%q: want KEY=VALUE", kv)
		}
	}
	cfg := layering.Config{User: f.user, Env: f.env, Ports: f.ports}
	if len(f.labels) > 0 {
		cfg.Labels = map[string]string{}
		for _, kv := range f.labels {
			k, v, _ := strings.Cut(kv, "=")
			cfg.Labels[k] = v
		}
	}
	cache, err := openCache(f.cacheDir)
	if err != nil {
		return o, err
	}
	modTime, created, err := sourceDateEpoch()
	if err != nil {
		return o, err
	}
	var deb base.DebianOptions
	if strings.HasPrefix(f.from, "debian:") {
		if deb, err = f.apt.options(); err != nil {
			return o, err
		}
		deb.NpmRegistry = npmRegistry(abs) // the project's .npmrc counts
	}
	reg, err := f.registry.options()
	if err != nil {
		return o, err
	}
	reg.Retries, reg.ResponseTimeout = retriesOpt(f.retries), f.responseTimeout
	return pipeline.Options{
		Dir:       abs,
		Analyzers: f.langs,
		Lang: lang.Options{
			Platform:       pl,
			Env:            os.Environ(),
			FollowSymlinks: f.followLinks,
		},
		Base:     f.from,
		Defaults: defaultBases,
		Registry: reg,
		Debian:   deb,
		Cache:    cache,
		ModTime:  modTime,
		Created:  created,
		Config:   cfg,
	}, nil
}

// registryFlags say how registries are reached; every verb that pulls or
// pushes has them.
type registryFlags struct {
	insecure bool
	caFiles  []string
}

func (f *registryFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain HTTP and unverified TLS to registries that are not on loopback")
	fl.StringArrayVar(&f.caFiles, "registry-ca", nil, "PEM file of a certificate authority to trust for registries and their token servers, besides the system's (repeatable; a file may be a bundle)")
}

func (f *registryFlags) options() (transport.Options, error) {
	o := transport.Options{Insecure: f.insecure, Keychain: credentialsTried}
	if len(f.caFiles) > 0 {
		pool, err := transport.LoadCAs(f.caFiles...)
		if err != nil {
			return o, usageErrorf("--registry-ca: %v", err)
		}
		o.RootCAs = pool
	}
	return o, nil
}

// openCache opens the cache in dir, or in the default directory when dir is "".
func openCache(dir string) (*layering.Cache, error) {
	if dir == "" {
		var err error
		if dir, err = defaultCacheDir(); err != nil {
			return nil, err
		}
	}
	return layering.OpenCache(dir)
}

func defaultCacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "langbuild"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w; set --cache-dir", err)
	}
	return filepath.Join(home, ".cache", "langbuild"), nil
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH: when set, it is both the files'
// modification time and the image creation time.
func sourceDateEpoch() (modTime, created time.Time, err error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return layering.DefaultModTime, time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s)
	}
	t := time.Unix(n, 0).UTC()
	return t, t, nil
}

// retriesOpt maps the flag (0 = never) to transport's (0 = default).
func retriesOpt(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
