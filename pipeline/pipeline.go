// Package pipeline runs langbuild's build from end to end: a language
// analyzer plans the image, layering builds (or finds cached) layers, image
// assembles them on the base, and a publisher writes the result.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path"
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
//
// The build is a few steps run by runSteps: the analysis (compile,
// resolve), the base (pulled or built; when the build chooses it, once the
// analysis says what the project needs), a check of the base against the
// plan, the layers, the publisher's preparation (mounting the base's
// layers), assembly and publishing. The analysis and a given base run at
// once; the first failure stops the others, so a compile error is reported
// as soon as the compiler stops, whatever the registry is doing.
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
	b := &build{opts: opts, pub: pub, a: a, res: res}
	t := &res.Timings
	// debian:java and debian:node name the preset the analysis asks for, and
	// with no --from the language's default may depend on it too.
	chosen := opts.Base == "" || isChosenDebian(opts.Base)
	baseAfter := []string(nil)
	if chosen {
		baseAfter = []string{"analyze"}
	}
	// Layers streamed into a registry as they are compressed wait for the
	// base's check: a build that fails leaves nothing in the registry.
	layersAfter := []string{"analyze"}
	if _, ok := pub.(publish.Streamer); ok && pub != nil {
		layersAfter = []string{"check"}
	}
	err = runSteps(ctx, []step{
		{name: "analyze", run: b.analyze, took: &t.Analyze},
		{name: "base", after: baseAfter, run: b.resolveBase, took: &t.Base},
		{name: "check", after: []string{"analyze", "base"}, run: b.check},
		// The compile succeeded: while the layers are compressed, the
		// publisher may bring the base's layers into place. Not before: a
		// build that fails leaves nothing in the registry.
		{name: "prepare", after: []string{"check"}, run: b.prepare},
		{name: "layers", after: layersAfter, run: b.layers, took: &t.Layers},
		{name: "assemble", after: []string{"check", "layers", "prepare"}, run: b.assemble, took: &t.Assemble},
		{name: "publish", after: []string{"assemble"}, run: b.publish, took: &t.Publish},
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// build is one Build's state, shared by its steps: each writes only its own
// fields, and reads those of the steps it comes after.
type build struct {
	opts Options
	pub  publish.Interface
	a    lang.Analyzer
	res  *Result
	base image.Base
}

func (b *build) analyze(ctx context.Context) error {
	_, plan, err := analyze(ctx, b.opts)
	b.res.Plan = plan
	return err
}

// base resolves the base: the one given, or the one chosen for what the
// analysis found.
func (b *build) resolveBase(ctx context.Context) error {
	opts := b.opts
	bopts := baseOptions(opts)
	spec := opts.Base
	resolve := func() (image.Base, error) { return base.Resolve(ctx, spec, bopts) }
	if opts.Base == "" || isChosenDebian(opts.Base) {
		c, err := chooseBase(ctx, b.a.Name(), b.res.Plan.Runtime, opts.Base, opts.Defaults, bopts)
		if err != nil {
			return err
		}
		if c.why != "" && opts.BaseChosen != nil {
			opts.BaseChosen(c.spec, c.why)
		}
		spec = c.spec
		if c.node != nil {
			resolve = func() (image.Base, error) { return base.ResolveDebianNode(ctx, *c.node, c.packages, bopts) }
		}
	}
	var err error
	if b.base, err = resolve(); err != nil {
		if opts.Base == "" && ctx.Err() == nil {
			return &DefaultBaseError{Language: b.a.Name(), Spec: spec, Err: err}
		}
		return err
	}
	b.res.Base = b.base
	return nil
}

// check refuses a base that cannot run the plan: a Node outside the range
// the project asks for, or no entrypoint for a plan that needs the base's.
func (b *build) check(context.Context) error {
	plan := b.res.Plan
	if err := checkNode(plan.Runtime, b.base); err != nil {
		return err
	}
	if plan.BaseEntrypoint == "" || plan.Config.Entrypoint != nil {
		return nil
	}
	// The plan's Cmd holds arguments for the base's entrypoint.
	cf, err := b.base.Image.ConfigFile()
	if err != nil {
		return err
	}
	if ep := cf.Config.Entrypoint; len(ep) == 0 || path.Base(ep[0]) != plan.BaseEntrypoint {
		return fmt.Errorf("base %s has no %s entrypoint (it has %q): use a base whose entrypoint is %s, such as %s", b.base.Name, plan.BaseEntrypoint, ep, plan.BaseEntrypoint, b.opts.Defaults[b.a.Name()])
	}
	return nil
}

func (b *build) prepare(ctx context.Context) error {
	if pp, ok := b.pub.(publish.Preparer); ok && b.pub != nil {
		return pp.Prepare(ctx, b.base.Image)
	}
	return nil
}

func (b *build) layers(ctx context.Context) error {
	opts, res := b.opts, b.res
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
	if st, ok := b.pub.(publish.Streamer); ok && b.pub != nil {
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
		return err
	}
	res.Blobs, err = builder.Build(ctx, res.Plan)
	return err
}

func (b *build) assemble(context.Context) error {
	res := b.res
	var err error
	if res.Image, err = image.Assemble(b.base, res.Plan, res.Blobs, image.Options{Created: b.opts.Created}); err != nil {
		return fmt.Errorf("assembling image: %w", err)
	}
	d, err := res.Image.Digest()
	if err != nil {
		return fmt.Errorf("assembling image: %w", err)
	}
	res.Digest = d.String()
	return nil
}

func (b *build) publish(ctx context.Context) error {
	if b.pub == nil {
		return nil
	}
	var err error
	b.res.Publish, err = b.pub.Publish(ctx, b.res.Image)
	return err
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
func chooseBase(ctx context.Context, language string, rt layering.Runtime, from string, defaults map[string]string, bopts base.Options) (choice, error) {
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
		return choice{}, fmt.Errorf("--from %s picks the Debian preset for %s, and this is a %s project: name a preset, such as debian:static", from, what, language)
	}
	spec := defaults[language]
	if spec == "" {
		return choice{}, fmt.Errorf("no base image for %s projects: give one with --from", language)
	}
	return choice{spec: spec}, nil
}

func chooseJava(rt layering.Runtime, from string, defaults map[string]string) (choice, error) {
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

func chooseNode(ctx context.Context, rt layering.Runtime, debianNode bool, packages []string, defaults map[string]string, bopts base.Options) (choice, error) {
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
	why := fmt.Sprintf("the project names no Node version (%s): Node %s, the newest release", rt.From, c.Release.Version)
	if r != nil {
		why = fmt.Sprintf("%s; Node %s is the newest release of the newest major in it", asks(), c.Release.Version)
	}
	return choice{spec: spec, why: why, node: &c, packages: packages}, nil
}

// checkNode refuses a base whose Node (as it says, see base.NodeVersionOf)
// is not in the range the project asks for: such an image would build and
// then fail at run time.
func checkNode(rt layering.Runtime, b image.Base) error {
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
