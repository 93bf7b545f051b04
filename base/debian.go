package base

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/langbuild/langbuild/base/debian"
	"github.com/langbuild/langbuild/image"
	"github.com/langbuild/langbuild/layering"
)

// DebianOptions say where Debian packages come from.
type DebianOptions struct {
	// Sources are the apt repositories (cmd reads the machine's apt sources,
	// or takes --mirror).
	Sources []debian.Source
	// Suite is the release codename; empty means the preset's (bookworm,
	// bullseye for java11, trixie for java21 and java25).
	Suite string
	// Keyring overrides the sources' keyrings for the Release signature check.
	Keyring string
	// NpmRegistry returns the URL of the npm registry the user's npm
	// configuration names, where the nodejsNN presets take Node's official
	// build from. It is called only when one is needed (cmd runs npm for it).
	NpmRegistry func(ctx context.Context) (string, error)
}

// DebianSpec names a Debian-built base: a preset and extra packages.
type DebianSpec struct {
	Preset   string
	Packages []string
}

// ParseDebianSpec parses PRESET[+PKG,PKG...], the part after "debian:".
func ParseDebianSpec(s string) (DebianSpec, error) {
	preset, extra, _ := strings.Cut(s, "+")
	spec := DebianSpec{Preset: preset}
	if extra != "" {
		spec.Packages = strings.Split(extra, ",")
	}
	if preset == "" && len(spec.Packages) == 0 {
		return spec, fmt.Errorf("debian base %q names no preset and no packages", s)
	}
	if _, ok := debian.LookupPreset(preset); preset != "" && !ok {
		var names []string
		for n := range debian.Presets {
			names = append(names, n)
		}
		sort.Strings(names)
		switch preset {
		case JavaPreset:
			return spec, fmt.Errorf("debian:%s stands for the Java preset a project needs, which only a build of a Java project chooses: name one of %s", JavaPreset, strings.Join(names, ", "))
		case NodePreset:
			return spec, fmt.Errorf("debian:%s stands for the Node preset a project asks for, which only a build of a Node project chooses: name one of %s (or nodejsNN for Node NN)", NodePreset, strings.Join(names, ", "))
		}
		return spec, fmt.Errorf("unknown Debian base preset %q: the presets are %s, and nodejsNN for Node NN", preset, strings.Join(names, ", "))
	}
	return spec, nil
}

func (s DebianSpec) String() string {
	out := "debian:" + s.Preset
	if len(s.Packages) > 0 {
		out += "+" + strings.Join(s.Packages, ",")
	}
	return out
}

// DebianArch maps an OCI platform to a Debian architecture.
func DebianArch(p v1.Platform) (string, error) {
	switch p.Architecture {
	case "amd64", "arm64", "s390x":
		return p.Architecture, nil
	case "386":
		return "i386", nil
	case "ppc64le":
		return "ppc64el", nil
	case "arm":
		if p.Variant == "v7" || p.Variant == "" {
			return "armhf", nil
		}
		return "armel", nil
	}
	return "", fmt.Errorf("no Debian architecture for %s", p)
}

// debianRecord is what the cache keeps of a built Debian base.
type debianRecord struct {
	Manifest string   `json:"manifest"`
	Config   string   `json:"config"`
	Packages []string `json:"packages"`
}

// BuiltDebian is a Debian base that was built (or found built).
type BuiltDebian struct {
	image.Base
	// Packages lists name=version of every package in it.
	Packages []string
	// Result is set when the base was built now rather than found in the cache.
	Result *debian.Result
}

func (o Options) debianKey(spec DebianSpec, arch string) string {
	h := sha256.New()
	// v2: bases with node say its version in NODE_VERSION.
	fmt.Fprintf(h, "v2\x00%s\x00%s\x00%s\x00%s\x00", spec, o.Debian.Suite, arch, o.Debian.Keyring)
	for _, s := range o.Debian.Sources {
		fmt.Fprintf(h, "%s\x00", s)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// fromDebian returns the Debian base for spec, from the cache when it was
// built before with the same sources; otherwise it builds it.
func fromDebian(ctx context.Context, s string, opts Options) (image.Base, error) {
	spec, err := ParseDebianSpec(s)
	if err != nil {
		return image.Base{}, err
	}
	b, err := BuildDebian(ctx, spec, opts, false)
	if err != nil {
		return image.Base{}, err
	}
	return b.Base, nil
}

// BuildDebian builds the Debian base for spec, or, unless refresh is set,
// returns the one built before from the same spec, sources and platform.
func BuildDebian(ctx context.Context, spec DebianSpec, opts Options, refresh bool) (*BuiltDebian, error) {
	if opts.Platform.OS == "" {
		opts.Platform = v1.Platform{OS: "linux", Architecture: "amd64"}
	}
	if opts.Debian.Suite == "" {
		opts.Debian.Suite = debian.DefaultSuite
		if p, ok := debian.LookupPreset(spec.Preset); ok && p.Suite != "" {
			opts.Debian.Suite = p.Suite
		}
	}
	arch, err := DebianArch(opts.Platform)
	if err != nil {
		return nil, err
	}
	dir, err := opts.Cache.Subdir("debian-bases")
	if err != nil {
		return nil, err
	}
	recPath := filepath.Join(dir, opts.debianKey(spec, arch)+".json")
	if !refresh {
		if b, err := loadDebian(opts.Cache, recPath, spec); err == nil {
			return b, nil
		}
	}
	preset, _ := debian.LookupPreset(spec.Preset)
	pkgs := append(append([]string{}, preset.Packages...), spec.Packages...)
	dopts := debian.Options{
		Sources: opts.Debian.Sources, Suite: opts.Debian.Suite, Arch: arch,
		Keyring: opts.Debian.Keyring, Cache: opts.Cache,
	}
	if preset.NodeMajor > 0 {
		rel, err := newestNode(ctx, opts, arch, preset.NodeMajor, refresh)
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", spec, err)
		}
		dopts.Node = &rel
	}
	res, err := debian.Build(ctx, pkgs, preset.Leaves, dopts)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", spec, err)
	}
	builder, err := layering.NewBuilder(opts.Cache)
	if err != nil {
		return nil, err
	}
	blobs, err := builder.Build(ctx, res.Plan)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", spec, err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = opts.Platform.OS, opts.Platform.Architecture, opts.Platform.Variant
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	if img, err = image.Assemble(image.Base{Image: img}, res.Plan, blobs, image.Options{}); err != nil {
		return nil, err
	}
	var names []string
	for _, p := range res.Packages {
		names = append(names, p.String())
	}
	if res.Node != nil {
		names = append(names, res.Node.String())
	}
	if err := storeDebian(opts.Cache, recPath, img, names); err != nil {
		return nil, err
	}
	b, err := loadDebian(opts.Cache, recPath, spec)
	if err != nil {
		return nil, err
	}
	b.Result = res
	return b, nil
}

func storeDebian(c *layering.Cache, recPath string, img v1.Image, pkgs []string) error {
	raw, err := img.RawManifest()
	if err != nil {
		return err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	md, _ := img.Digest()
	cd, _ := img.ConfigName()
	if err := c.PutBlob(md.String(), bytesReader(raw)); err != nil {
		return err
	}
	if err := c.PutBlob(cd.String(), bytesReader(cfg)); err != nil {
		return err
	}
	rec, err := json.Marshal(debianRecord{Manifest: md.String(), Config: cd.String(), Packages: pkgs})
	if err != nil {
		return err
	}
	return layering.WriteFileAtomic(recPath, rec)
}

// loadDebian reads a built base back from the cache; every blob must be there.
func loadDebian(c *layering.Cache, recPath string, spec DebianSpec) (*BuiltDebian, error) {
	b, err := os.ReadFile(recPath)
	if err != nil {
		return nil, err
	}
	var rec debianRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(c.BlobPath(rec.Manifest))
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return nil, err
	}
	cfg, err := os.ReadFile(c.BlobPath(rec.Config))
	if err != nil {
		return nil, err
	}
	cf, err := v1.ParseConfigFile(bytesReader(cfg))
	if err != nil {
		return nil, err
	}
	for _, l := range m.Layers {
		if _, err := os.Stat(c.BlobPath(l.Digest.String())); err != nil {
			return nil, err
		}
	}
	p := &puller{opts: Options{Cache: c}, local: true}
	img, err := partial.CompressedToImage(&cachedImage{p: p, raw: raw, mt: m.MediaType, manifest: m, config: cfg, diffIDs: cf.RootFS.DiffIDs})
	if err != nil {
		return nil, err
	}
	return &BuiltDebian{Base: image.Base{Image: img, Name: spec.String(), Digest: rec.Manifest}, Packages: rec.Packages}, nil
}
