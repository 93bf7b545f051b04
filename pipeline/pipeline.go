// Package pipeline runs langbuild's build from end to end: a language
// analyzer plans the image, layering builds (or finds cached) layers, image
// assembles them on the base, and a publisher writes the result.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/langbuild/langbuild/base"
	"github.com/langbuild/langbuild/image"
	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
	"github.com/langbuild/langbuild/publish"
	"github.com/langbuild/langbuild/transport"
)

// Options for Build and Plan.
type Options struct {
	// Dir is the project directory (or a package directory inside it).
	Dir string
	// Analyzers are tried in order; the first that detects Dir plans the image.
	Analyzers []lang.Analyzer
	// Lang is passed to the analyzer.
	Lang lang.Options
	// Base is the base image spec (see base.Resolve); empty means the
	// analyzer's language default.
	Base string
	// Defaults maps a language name to its default base.
	Defaults map[string]string
	// Registry settings for pulling the base.
	Registry transport.Options
	// Debian settings for debian: bases.
	Debian base.DebianOptions
	// Cache holds layers, pulled bases and analyzer outputs.
	Cache *layering.Cache
	// ModTime is written into every file of the application layers.
	ModTime time.Time
	// Created is the image creation time (zero: the epoch).
	Created time.Time
	// Config is laid over the analyzer's config (user, env, labels, ports...).
	Config layering.Config
	// Progress receives layer events.
	Progress func(layering.Event)
	// BaseChosen, when set, is told which base the build chose and why,
	// when the base depends on the project (a Java project with no --from,
	// or debian:java).
	BaseChosen func(spec, why string)
}

// DefaultBaseError is a failure to get the base the build chose itself
// (no --from): cmd can then name the alternatives.
type DefaultBaseError struct {
	Language, Spec string
	Err            error
}

func (e *DefaultBaseError) Error() string { return e.Err.Error() }
func (e *DefaultBaseError) Unwrap() error { return e.Err }

// Result of a build.
type Result struct {
	Language string
	Plan     *layering.Plan
	Blobs    []layering.Blob
	Base     image.Base
	Image    v1.Image
	Digest   string
	Publish  publish.Result
	Timings  Timings
}

// Timings break a build into its phases.
type Timings struct {
	Analyze, Base, Layers, Assemble, Publish time.Duration
	// Within Layers, summed over layers (they run in parallel): stat and
	// hash of the inputs, and tar + compression of the layers written.
	Hash, Compress time.Duration
	// LayersBuilt counts the layers written (the rest came from the cache).
	LayersBuilt int
}

// Plan runs the analyzer without compiling, and applies the config overrides.
func Plan(ctx context.Context, opts Options) (string, *layering.Plan, error) {
	opts.Lang.PlanOnly = true
	a, p, err := analyze(ctx, opts)
	if err != nil {
		return "", nil, err
	}
	return a.Name(), p, nil
}

func analyze(ctx context.Context, opts Options) (lang.Analyzer, *layering.Plan, error) {
	a, err := lang.Select(opts.Dir, opts.Analyzers)
	if err != nil {
		return nil, nil, err
	}
	if opts.Lang.WorkDir == "" && opts.Cache != nil {
		if opts.Lang.WorkDir, err = opts.Cache.Subdir("work"); err != nil {
			return nil, nil, err
		}
	}
	p, err := a.Analyze(ctx, opts.Dir, opts.Lang)
	if err != nil {
		return nil, nil, err
	}
	override(&p.Config, opts.Config)
	return a, p, nil
}

// Build builds the image and, when pub is not nil, publishes it. Nothing is
// published unless every step before succeeded.
func Build(ctx context.Context, opts Options, pub publish.Interface) (*Result, error) {
	if opts.Cache == nil {
		return nil, errors.New("no cache")
	}
	a, err := lang.Select(opts.Dir, opts.Analyzers)
	if err != nil {
		return nil, err
	}
	res := &Result{Language: a.Name()}
	if w, ok := pub.(publish.Warmer); ok && pub != nil {
		// Authentication and open uploads, ready when the layers are:
		// with a registry on this machine, the dev loop's usual one, that
		// work costs the compile little. Measured on two cores, a one-line
		// Go change was built and pushed 8 to 17 ms sooner than with the
		// same work done while the layers were compressed.
		w.Warm(ctx)
	}

	// A given base is resolved while the analyzer compiles; the default one
	// may depend on what the analyzer finds (the Java release, the Node
	// range).
	type baseResult struct {
		spec string
		b    image.Base
		err  error
		d    time.Duration
	}
	bch := make(chan baseResult, 1)
	baseOpts := baseOptions(opts)
	resolveBase := func(spec string, resolve func() (image.Base, error)) {
		start := time.Now()
		b, err := resolve()
		bch <- baseResult{spec, b, err, time.Since(start)}
	}
	resolveSpec := func(spec string) func() (image.Base, error) {
		return func() (image.Base, error) { return base.Resolve(ctx, spec, baseOpts) }
	}
	// debian:java and debian:node name the preset the analysis asks for.
	chosen := opts.Base == "" || isChosenDebian(opts.Base)
	if !chosen {
		go resolveBase(opts.Base, resolveSpec(opts.Base))
	}

	start := time.Now()
	_, plan, err := analyze(ctx, opts)
	res.Timings.Analyze = time.Since(start)
	var rt lang.Runtime
	if rn, ok := a.(lang.RuntimeNeeder); ok && err == nil {
		rt = rn.Runtime(plan)
	}
	if chosen {
		if err != nil {
			return nil, err
		}
		c, err := chooseBase(ctx, a, rt, opts.Base, opts.Defaults, baseOpts)
		if err != nil {
			return nil, err
		}
		if c.why != "" && opts.BaseChosen != nil {
			opts.BaseChosen(c.spec, c.why)
		}
		resolve := resolveSpec(c.spec)
		if c.node != nil {
			resolve = func() (image.Base, error) { return base.ResolveDebianNode(ctx, *c.node, c.packages, baseOpts) }
		}
		go resolveBase(c.spec, resolve)
	}
	br := <-bch
	if err != nil {
		return nil, err
	}
	if br.err != nil {
		if opts.Base == "" {
			return nil, &DefaultBaseError{Language: a.Name(), Spec: br.spec, Err: br.err}
		}
		return nil, br.err
	}
	if err := checkNode(rt, br.b); err != nil {
		return nil, err
	}
	res.Plan, res.Base, res.Timings.Base = plan, br.b, br.d
	if plan.Facts["node.entrypoint"] == "base" && plan.Config.Entrypoint == nil {
		// The plan's Cmd is a script for the base's node entrypoint.
		cf, err := br.b.Image.ConfigFile()
		if err != nil {
			return nil, err
		}
		if len(cf.Config.Entrypoint) == 0 || !strings.HasSuffix(cf.Config.Entrypoint[0], "node") {
			return nil, fmt.Errorf("base %s has no node entrypoint (it has %q): use a Node base such as debian:node or %s", br.b.Name, cf.Config.Entrypoint, opts.Defaults["node"])
		}
	}

	// The compile succeeded: while the layers are compressed, the publisher
	// may bring the base's layers into place. Not before: a build that
	// fails leaves nothing in the registry.
	prepared := make(chan error, 1)
	if pp, ok := pub.(publish.Preparer); ok && pub != nil {
		go func() { prepared <- pp.Prepare(ctx, br.b.Image) }()
	} else {
		prepared <- nil
	}

	start = time.Now()
	var mu sync.Mutex
	progress := func(e layering.Event) {
		mu.Lock()
		switch e.Phase {
		case "hashed":
			res.Timings.Hash += e.Elapsed
		case "compressed":
			res.Timings.Compress += e.Elapsed
			res.Timings.LayersBuilt++
		}
		mu.Unlock()
		if opts.Progress != nil {
			opts.Progress(e)
		}
	}
	bopts := []layering.BuilderOption{layering.WithProgress(progress)}
	if st, ok := pub.(publish.Streamer); ok && pub != nil {
		// A registry may take a layer's bytes while it is compressed.
		bopts = append(bopts, layering.WithTee(func(ctx context.Context, layer string) layering.Tee {
			if s := st.StreamLayer(ctx, layer); s != nil {
				return s
			}
			return nil
		}))
	}
	if !opts.ModTime.IsZero() {
		bopts = append(bopts, layering.WithModTime(opts.ModTime))
	}
	builder, err := layering.NewBuilder(opts.Cache, bopts...)
	if err != nil {
		return nil, err
	}
	res.Blobs, err = builder.Build(ctx, plan)
	perr := <-prepared
	if err != nil {
		return nil, err
	}
	if perr != nil {
		return nil, perr
	}
	res.Timings.Layers = time.Since(start)

	start = time.Now()
	if res.Image, err = image.Assemble(br.b, plan, res.Blobs, image.Options{Created: opts.Created}); err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	d, err := res.Image.Digest()
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	res.Digest = d.String()
	res.Timings.Assemble = time.Since(start)

	if pub != nil {
		start = time.Now()
		if res.Publish, err = pub.Publish(ctx, res.Image); err != nil {
			return nil, err
		}
		res.Timings.Publish = time.Since(start)
	}
	return res, nil
}

// override lays user-given config over the analyzer's.
func override(c *layering.Config, o layering.Config) {
	if o.Entrypoint != nil {
		c.Entrypoint = o.Entrypoint
	}
	if o.Cmd != nil {
		c.Cmd = o.Cmd
	}
	c.Env = append(c.Env, o.Env...)
	if o.WorkingDir != "" {
		c.WorkingDir = o.WorkingDir
	}
	if o.User != "" {
		c.User = o.User
	}
	c.Ports = append(c.Ports, o.Ports...)
	if len(o.Labels) > 0 && c.Labels == nil {
		c.Labels = map[string]string{}
	}
	for k, v := range o.Labels {
		c.Labels[k] = v
	}
}

func baseOptions(opts Options) base.Options {
	pl := opts.Lang.Platform
	return base.Options{
		Platform: v1.Platform{OS: pl.OS, Architecture: pl.Arch, Variant: pl.Variant},
		Cache:    opts.Cache,
		Registry: opts.Registry,
		Debian:   opts.Debian,
	}
}

// debianPreset splits debian:PRESET[+PKG,...]; preset is "" for another spec.
func debianPreset(spec string) (preset string, packages []string) {
	rest, ok := strings.CutPrefix(spec, "debian:")
	if !ok {
		return "", nil
	}
	preset, extra, _ := strings.Cut(rest, "+")
	if extra != "" {
		packages = strings.Split(extra, ",")
	}
	return preset, packages
}

// isDebianJava: debian:java or debian:java+PKG,...
func isDebianJava(spec string) bool {
	preset, _ := debianPreset(spec)
	return preset == base.JavaPreset
}

// isChosenDebian: debian:java or debian:node, with or without packages,
// which stand for the preset the project needs.
func isChosenDebian(spec string) bool {
	preset, _ := debianPreset(spec)
	return preset == base.JavaPreset || preset == base.NodePreset
}

// choice is the base a build chose: spec, and why when the choice depends
// on the project; for debian:node, the release chosen and the extra packages.
type choice struct {
	spec, why string
	node      *base.NodeChoice
	packages  []string
}

// chooseBase picks the base when the build chooses it: with no --from, the
// language's default, which for Java is the lowest distroless image that
// runs the release the project targets and for Node the distroless image
// of the lowest major with a release in the range the project asks for;
// for debian:java, the lowest Debian Java preset that runs the release; for
// debian:node, the nodejsNN preset of the newest major whose newest release
// is in the range (with the extra packages of either). why says so, for the
// choices that depend on the project.
func chooseBase(ctx context.Context, a lang.Analyzer, rt lang.Runtime, from string, defaults map[string]string, bopts base.Options) (choice, error) {
	preset, packages := debianPreset(from)
	switch {
	case rt.Name == "node" && (from == "" || preset == base.NodePreset):
		return chooseNode(ctx, rt, from != "", packages, defaults, bopts)
	case rt.Name == "java" && (from == "" || preset == base.JavaPreset):
		return chooseJava(rt, from, defaults)
	case from != "":
		what := "the Java release a Java project targets"
		if preset == base.NodePreset {
			what = "the Node a Node project asks for"
		}
		return choice{}, fmt.Errorf("--from %s picks the Debian preset for %s, and this is a %s project: name a preset, such as debian:static", from, what, a.Name())
	}
	spec := defaults[a.Name()]
	if spec == "" {
		return choice{}, fmt.Errorf("no base image for %s projects: give one with --from", a.Name())
	}
	return choice{spec: spec}, nil
}

func chooseJava(rt lang.Runtime, from string, defaults map[string]string) (choice, error) {
	debianJava := from != ""
	jb, err := base.ForJava(rt.Version, debianJava)
	if err != nil {
		return choice{}, fmt.Errorf("the project targets Java %d (%s): %w; give a base that runs Java %d with --from", rt.Version, rt.From, err, rt.Version)
	}
	spec, kind := jb.Distroless, "distroless"
	if debianJava {
		spec, kind = "debian:"+jb.Preset, "Debian"
		if _, extra, ok := strings.Cut(from, "+"); ok {
			spec += "+" + extra
		}
	}
	if rt.Version <= 0 {
		return choice{spec: spec, why: fmt.Sprintf("the project names no Java release (in its pom or class files): Java %d", base.DefaultJavaRelease)}, nil
	}
	why := fmt.Sprintf("the project targets Java %d (%s)", rt.Version, rt.From)
	if jb.Release > rt.Version {
		why += fmt.Sprintf("; Java %d is the oldest %s Java langbuild knows", jb.Release, kind)
	}
	return choice{spec: spec, why: why}, nil
}

func chooseNode(ctx context.Context, rt lang.Runtime, debianNode bool, packages []string, defaults map[string]string, bopts base.Options) (choice, error) {
	var r *base.NodeRange
	if rt.Range != "" {
		var err error
		if r, err = base.ParseNodeRange(rt.Range); err != nil {
			return choice{}, fmt.Errorf("%s: %w", rt.From, err)
		}
	}
	asks := func() string { return fmt.Sprintf("the project asks for Node %s (%s)", r, rt.From) }
	if !debianNode {
		if r == nil {
			spec := defaults["node"]
			if spec == "" {
				return choice{}, errors.New("no base image for node projects: give one with --from")
			}
			return choice{spec: spec}, nil
		}
		d, err := base.ForNodeDistroless(r)
		if err != nil {
			return choice{}, fmt.Errorf("%s: %w; give --from debian:node for Node's official build of the newest major that has one, or a base with such a Node", asks(), err)
		}
		return choice{spec: d.Image, why: fmt.Sprintf("%s; Node %d is the oldest distroless Node with a release in it", asks(), d.Major)}, nil
	}
	c, err := base.ForDebianNode(ctx, r, bopts)
	if err != nil {
		if r == nil {
			return choice{}, err
		}
		return choice{}, fmt.Errorf("%s: %w", asks(), err)
	}
	spec := base.DebianSpec{Preset: c.Preset, Packages: packages}.String()
	why := fmt.Sprintf("the project names no Node version (engines.node in package.json, .nvmrc, .node-version): Node %s, the newest release", c.Release.Version)
	if r != nil {
		why = fmt.Sprintf("%s; Node %s is the newest release of the newest major in it", asks(), c.Release.Version)
	}
	return choice{spec: spec, why: why, node: &c, packages: packages}, nil
}

// checkNode refuses a base whose Node (as it says, see base.NodeVersionOf)
// is not in the range the project asks for: such an image would build and
// then fail at run time.
func checkNode(rt lang.Runtime, b image.Base) error {
	if rt.Name != "node" || rt.Range == "" {
		return nil
	}
	have := base.NodeVersionOf(b.Image)
	if have == "" {
		return nil
	}
	r, err := base.ParseNodeRange(rt.Range)
	if err != nil {
		return fmt.Errorf("%s: %w", rt.From, err)
	}
	v, err := base.ParseNodeVersion(have)
	if err != nil || r.Satisfies(v) {
		return nil
	}
	hint := "use --from debian:node, or a base whose Node is in the range"
	if strings.HasPrefix(b.Name, "debian:") {
		hint = "use --from debian:node"
	}
	return fmt.Errorf("the project asks for Node %s (%s); %s has Node %s: %s", r, rt.From, b.Name, have, hint)
}
