package base

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/langbuild/langbuild/base/debian"
	"github.com/langbuild/langbuild/image"
)

// NodePreset, in debian:node[+PKG,...], stands for the Debian Node preset
// that runs the project being built: a build replaces it with the nodejsNN
// preset of the newest Node major whose newest release satisfies the
// project's engines.node.
const NodePreset = "node"

// NodeDistroless is distroless's Node image of one major.
type NodeDistroless struct {
	Major int
	Image string
}

// NodeDistrolessImages are distroless's Node images, oldest first: the
// nodejs20 one langbuild has always defaulted to (distroless published it
// for Debian 12 until it deprecated Node 20 in 2026), and the Debian 13 ones
// of the majors distroless builds now.
var NodeDistrolessImages = []NodeDistroless{
	{20, DefaultNode},
	{22, "gcr.io/distroless/nodejs22-debian13:nonroot"},
	{24, "gcr.io/distroless/nodejs24-debian13:nonroot"},
	{26, "gcr.io/distroless/nodejs26-debian13:nonroot"},
}

// ForNodeDistroless returns the distroless image of the lowest major that
// has a release the range accepts (nil range: DefaultNode). A distroless
// image floats within its major, so which release it holds is known only
// once it is pulled (NodeVersionOf); a range none of them can satisfy is a
// *NodeUnavailableError.
func ForNodeDistroless(r *NodeRange) (NodeDistroless, error) {
	if r == nil {
		return NodeDistrolessImages[0], nil
	}
	for _, d := range NodeDistrolessImages {
		if _, ok := r.LowestRelease(d.Major); ok {
			return d, nil
		}
	}
	var majors []string
	for _, d := range NodeDistrolessImages {
		majors = append(majors, strconv.Itoa(d.Major))
	}
	return NodeDistroless{}, &NodeUnavailableError{Range: r, Where: "distroless has Node " + strings.Join(majors, ", ")}
}

// NodeUnavailableError: no base of the kind asked for has a Node the range
// accepts.
type NodeUnavailableError struct {
	Range *NodeRange
	Where string // what there is ("distroless has Node 20, 22, 24, 26")
}

func (e *NodeUnavailableError) Error() string {
	return fmt.Sprintf("no Node in the range %s: %s", e.Range, e.Where)
}

// NodeChoice is the Debian Node preset chosen for a range.
type NodeChoice struct {
	Preset  string // nodejs24
	Release debian.NodeRelease
}

// ForDebianNode returns the nodejsNN preset of the newest Node major whose
// newest release the range accepts (nil: the newest major), from the
// releases the npm registry lists for the platform (kept in the cache as
// the .deb files are; listed again when the kept list has none that fits).
func ForDebianNode(ctx context.Context, r *NodeRange, opts Options) (NodeChoice, error) {
	arch, err := DebianArch(platformOrDefault(opts.Platform))
	if err != nil {
		return NodeChoice{}, err
	}
	for _, refresh := range []bool{false, true} {
		rels, cached, err := nodeReleases(ctx, opts, arch, refresh)
		if err != nil {
			return NodeChoice{}, err
		}
		c, ok := pickNode(rels, r)
		if ok {
			return c, nil
		}
		if !cached {
			newest := newestPerMajor(rels)
			where := "the registry lists none"
			if len(newest) > 0 {
				where = fmt.Sprintf("the newest release of %s is %s", rels[0].Package, newest[0].v)
			}
			return NodeChoice{}, &NodeUnavailableError{Range: r, Where: where}
		}
	}
	panic("unreachable")
}

type parsedRelease struct {
	v   NodeVersion
	rel debian.NodeRelease
}

// ResolveDebianNode returns the base of a ForDebianNode choice, with the
// extra Debian packages: the one built before when it holds the chosen
// release, else built again (the release list was refreshed since).
func ResolveDebianNode(ctx context.Context, c NodeChoice, packages []string, opts Options) (image.Base, error) {
	spec := DebianSpec{Preset: c.Preset, Packages: packages}
	for _, refresh := range []bool{false, true} {
		b, err := BuildDebian(ctx, spec, opts, refresh)
		if err != nil {
			return image.Base{}, err
		}
		if refresh || NodeVersionOf(b.Image) == c.Release.Version {
			return b.Base, nil
		}
	}
	panic("unreachable")
}

// newestPerMajor returns the newest release of each major, newest major
// first; prereleases and versions that are not semver are left out.
func newestPerMajor(rels []debian.NodeRelease) []parsedRelease {
	best := map[int]parsedRelease{}
	for _, rel := range rels {
		v, err := ParseNodeVersion(rel.Version)
		if err != nil || len(v.Pre) > 0 {
			continue
		}
		if b, ok := best[v.Major]; !ok || v.Compare(b.v) > 0 {
			best[v.Major] = parsedRelease{v, rel}
		}
	}
	out := make([]parsedRelease, 0, len(best))
	for _, b := range best {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].v.Major > out[j].v.Major })
	return out
}

func pickNode(rels []debian.NodeRelease, r *NodeRange) (NodeChoice, bool) {
	for _, b := range newestPerMajor(rels) {
		if r == nil || r.Satisfies(b.v) {
			return NodeChoice{Preset: fmt.Sprintf("nodejs%d", b.v.Major), Release: b.rel}, true
		}
	}
	return NodeChoice{}, false
}

// newestNode returns the newest release of the major, which a nodejsNN
// preset ships.
func newestNode(ctx context.Context, opts Options, arch string, major int, refresh bool) (debian.NodeRelease, error) {
	for _, again := range []bool{refresh, true} {
		rels, cached, err := nodeReleases(ctx, opts, arch, again)
		if err != nil {
			return debian.NodeRelease{}, err
		}
		for _, b := range newestPerMajor(rels) {
			if b.v.Major == major {
				return b.rel, nil
			}
		}
		if !cached {
			pkg, _ := debian.NodePackage(arch)
			return debian.NodeRelease{}, fmt.Errorf("the npm registry lists no release of Node %d in %s", major, pkg)
		}
	}
	panic("unreachable")
}

func nodeReleases(ctx context.Context, opts Options, arch string, refresh bool) ([]debian.NodeRelease, bool, error) {
	pkg, err := debian.NodePackage(arch)
	if err != nil {
		return nil, false, err
	}
	if opts.Debian.NpmRegistry == nil {
		return nil, false, errors.New("no npm registry given: Node's official build comes from the npm registry npm is configured with")
	}
	reg, err := opts.Debian.NpmRegistry(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("finding the npm registry: %w", err)
	}
	return debian.NodeReleases(ctx, opts.Cache, nil, reg, pkg, refresh)
}

func platformOrDefault(p v1.Platform) v1.Platform {
	if p.OS == "" {
		return v1.Platform{OS: "linux", Architecture: "amd64"}
	}
	return p
}

// DistrolessNodeAnnotation is the manifest annotation in which distroless's
// Node images name their Node release.
const DistrolessNodeAnnotation = "com.google.distroless.nodejs.version"

// NodeVersionOf returns the Node release a base holds, "" when it does not
// say: its NODE_VERSION variable (langbuild's Debian bases, the Node
// project's images) or distroless's annotation.
func NodeVersionOf(img v1.Image) string {
	if cf, err := img.ConfigFile(); err == nil {
		for _, e := range cf.Config.Env {
			if v, ok := strings.CutPrefix(e, "NODE_VERSION="); ok {
				return strings.TrimPrefix(v, "v")
			}
		}
	}
	if m, err := img.Manifest(); err == nil {
		if v := m.Annotations[DistrolessNodeAnnotation]; v != "" {
			return strings.TrimPrefix(v, "v")
		}
	}
	return ""
}
