package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/langbuild/langbuild/base"
	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/lang/java"
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
	ldflags  string
	goTags   []string
	goFlags  []string
	user     string
	env      []string
	labels   []string
	ports    []string
	apt      aptFlags

	retries         int
	responseTimeout time.Duration

	mainClass   string
	nodeMain    string
	allowNative bool
	includeEnv  bool
	followLinks bool
	module      string
	jar         string
	keepDevDeps bool
	jvmFlags    []string
	classpath   string
}

func (f *projectFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "base image: a registry reference, oci:DIR[:TAG], tar:FILE, builtin:static, debian:PRESET[+PKG,...], debian:java or debian:node for the Debian Java or Node preset that runs the project (default: the language's distroless base; for Java, the one that runs the release the project targets; for Node, the one whose Node engines.node accepts)")
	fl.StringVar(&f.platform, "platform", "linux/amd64", "target platform os/arch[/variant]")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "layer and base cache (default $XDG_CACHE_HOME/langbuild or ~/.cache/langbuild)")
	f.registry.register(cmd)
	fl.IntVar(&f.retries, "retries", 2, "how many times a failed registry request is tried again, with backoff (0: never)")
	fl.DurationVar(&f.responseTimeout, "registry-timeout", 60*time.Second, "how long to wait for a registry's answer to one request, or for a stalled upload or download to move")
	fl.StringVar(&f.ldflags, "ldflags", "", "Go: -ldflags for go build")
	fl.StringSliceVar(&f.goTags, "go-tags", nil, "Go: build tags")
	fl.StringArrayVar(&f.goFlags, "go-flag", nil, "Go: extra go build flag (repeatable)")
	fl.StringVar(&f.user, "user", "", "user the container runs as (default: nonroot, 65532)")
	fl.StringArrayVar(&f.env, "env", nil, "KEY=VALUE environment variable in the image (repeatable)")
	fl.StringArrayVar(&f.labels, "label", nil, "KEY=VALUE image label (repeatable)")
	fl.StringArrayVar(&f.ports, "port", nil, "exposed port, PORT[/PROTO] (repeatable)")
	fl.StringVar(&f.nodeMain, "main", "", "Node: the file to run (default: the start script's file, \"main\", server.js or index.js)")
	fl.BoolVar(&f.allowNative, "allow-native", false, "Node: put native addons built on this machine into an image for another platform")
	fl.BoolVar(&f.includeEnv, "include-env-files", false, "Node: put .env and .env.* files into the image (left out by default: they often hold secrets; .env.example, .env.sample and .env.template always go in)")
	fl.BoolVar(&f.followLinks, "follow-symlinks", false, "copy what project symlinks leaving their directory point to (never outside the project) instead of keeping them as links")
	fl.StringVar(&f.jar, "jar", "", "Java: build from this jar (a plain jar run with java -jar; a Spring Boot fat jar laid out by its layers.idx and run by its launcher, or exploded without one)")
	fl.StringVar(&f.module, "module", "", "Java: the module to build, in a multi-module parent (artifactId or directory)")
	fl.StringVar(&f.mainClass, "main-class", "", "Java: the main class (default: from the pom, else the only class with a main method)")
	fl.BoolVar(&f.keepDevDeps, "keep-dev-deps", false, "Java: keep development-only dependencies (spring-boot-devtools, spring-boot-docker-compose) that are left out of the image as Spring Boot's repackager leaves them out")
	fl.StringArrayVar(&f.jvmFlags, "jvm-flag", nil, "Java: a JVM flag for the entrypoint (repeatable)")
	fl.StringVar(&f.classpath, "classpath", "", "Java: the runtime classpath, already resolved (e.g. exec-maven-plugin's %classpath), instead of resolving it")
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
	// Maven's settings are read only for a Maven project (what the Java
	// analyzer detects): finding mvn and java on PATH and parsing
	// settings.xml took 0.25 ms, which every Go or Node build paid before
	// its compile started.
	var mavenLocal string
	var sysProps map[string]string
	if fi, err := os.Stat(filepath.Join(abs, "pom.xml")); err == nil && !fi.IsDir() {
		mavenLocal, sysProps = mavenRepo(), javaSysProps()
	}
	return pipeline.Options{
		Dir:       abs,
		Analyzers: analyzers(),
		Lang: lang.Options{
			Platform:       pl,
			Env:            os.Environ(),
			GoFlags:        f.goFlags,
			Ldflags:        f.ldflags,
			Tags:           f.goTags,
			MavenRepo:      mavenLocal,
			JavaSysProps:   sysProps,
			MainClass:      f.mainClass,
			Module:         f.module,
			Jar:            f.jar,
			KeepDevDeps:    f.keepDevDeps,
			NodeMain:       f.nodeMain,
			AllowNative:    f.allowNative,
			FollowSymlinks: f.followLinks,
			JVMFlags:       f.jvmFlags,
			Classpath:      splitClasspath(f.classpath, abs),

			IncludeEnvFiles: f.includeEnv,
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

// mavenRepo is the local repository Maven uses on this machine.
func mavenRepo() string {
	home, _ := os.UserHomeDir()
	mavenHome := os.Getenv("MAVEN_HOME")
	if mavenHome == "" {
		if p, err := exec.LookPath("mvn"); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				mavenHome = filepath.Dir(filepath.Dir(r))
			}
		}
	}
	return java.LocalRepository(home, mavenHome)
}

// javaSysProps are the system properties Maven's profile activation would
// see: the version of the java on PATH (read from its release file, without
// starting a JVM), and the OS.
func javaSysProps() map[string]string {
	props := map[string]string{"os.name": "Linux", "os.arch": "amd64"}
	if home, err := os.UserHomeDir(); err == nil {
		props["user.home"] = home
	}
	javaBin := ""
	if jh := os.Getenv("JAVA_HOME"); jh != "" {
		javaBin = filepath.Join(jh, "bin", "java")
	} else if p, err := exec.LookPath("java"); err == nil {
		javaBin = p
	}
	if javaBin != "" {
		if r, err := filepath.EvalSymlinks(javaBin); err == nil {
			props["java.home"] = filepath.Dir(filepath.Dir(r))
			if b, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(r)), "release")); err == nil {
				for _, l := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(l, "JAVA_VERSION="); ok {
						props["java.version"] = strings.Trim(v, "\"")
					}
				}
			}
		}
	}
	return props
}

func splitClasspath(cp, dir string) []string {
	if cp == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(cp, string(os.PathListSeparator)) {
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out = append(out, p)
	}
	return out
}

// retriesOpt maps the flag (0 = never) to transport's (0 = default).
func retriesOpt(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
