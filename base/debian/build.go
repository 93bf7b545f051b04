package debian

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/langbuild/langbuild/layering"
)

// DefaultKeyring is Debian's archive keyring, used to check Release files
// whose apt source names no keyring of its own.
const DefaultKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// Options for Build.
type Options struct {
	// Sources are the repositories to read; those whose suite is Suite or
	// Suite-something (updates, security) are used.
	Sources []Source
	// Suite is the release codename, such as bookworm.
	Suite string
	// Arch is the Debian architecture (amd64, arm64, ...).
	Arch string
	// Keyring, when set, checks every Release file instead of each source's
	// Signed-By (or DefaultKeyring).
	Keyring string
	// Cache keeps downloaded .deb files (by sha256) and their unpacked content.
	Cache *layering.Cache
	// ModTime stamps generated files (the Java trust store's entries).
	ModTime time.Time
	// Client fetches from the repositories; nil means one with short connect timeouts.
	Client *http.Client
	// Node, when set, is the release of Node's official build the base
	// ships in /nodejs (a nodejsNN preset), with the Debian packages of the
	// libraries it links.
	Node *NodeRelease
}

// Result of Build.
type Result struct {
	// Suite is the Debian release the packages come from.
	Suite string
	// Packages is the resolved closure, sorted by name, versions pinned.
	Packages []Package
	// Plan holds the package layers and the configuration layer, and the
	// image config (user nonroot, PATH, SSL_CERT_FILE, JAVA_HOME).
	Plan *layering.Plan
	// Downloaded counts the .deb files (and Node's tarball) fetched; the rest
	// were cached.
	Downloaded int
	// Unverified lists sources whose Release signature was not checked
	// because no keyring was available.
	Unverified []Source
	// Derived lists the sources used for a suite the apt sources do not
	// name, made from another Debian release's sources (see ForSuite).
	Derived []Source
	// Node is the release of Node's official build in the base, if any.
	Node *NodeRelease
	// NodeDownloaded says it was downloaded now (not found in the cache).
	NodeDownloaded bool
}

// bigPackage is the installed size (KiB) from which a package gets a layer
// of its own; smaller ones share one of smallGroups layers, chosen by a hash
// of the name so that adding a package changes one shared layer, not all.
const (
	bigPackage  = 10 << 10
	smallGroups = 4
)

// Build resolves packages against the repositories, downloads and unpacks
// them, and plans the base image. The dependencies of leaves are not followed.
func Build(ctx context.Context, packages, leaves []string, opts Options) (*Result, error) {
	if opts.Cache == nil {
		return nil, errors.New("debian base: no cache")
	}
	if opts.Suite == "" || opts.Arch == "" {
		return nil, errors.New("debian base: suite and architecture are required")
	}
	if len(packages) == 0 {
		return nil, errors.New("debian base: no packages")
	}
	if opts.ModTime.IsZero() {
		opts.ModTime = layering.DefaultModTime
	}
	client := opts.Client
	if client == nil {
		client = defaultClient()
	}
	f := fetcher{client: client}
	srcs, derived := ForSuite(opts.Sources, opts.Suite)
	if len(srcs) == 0 {
		return nil, fmt.Errorf("no apt source for suite %s: add one to the apt sources or give --mirror", opts.Suite)
	}

	res := &Result{Suite: opts.Suite, Node: opts.Node}
	if derived {
		res.Derived = srcs
	}
	// Node's tarball downloads while the indexes do: which libraries it
	// links decides what else to resolve.
	type nodeOut struct {
		d   *nodeDist
		err error
	}
	nodeCh := make(chan nodeOut, 1)
	if opts.Node != nil {
		go func() {
			d, err := fetchNode(ctx, client, opts.Cache, *opts.Node, opts.Arch)
			nodeCh <- nodeOut{d, err}
		}()
	}
	all, err := fetchIndexes(ctx, f, srcs, opts, res)
	var node *nodeDist
	if opts.Node != nil {
		no := <-nodeCh
		if no.err != nil {
			return nil, no.err
		}
		node = no.d
		res.NodeDownloaded = node.fresh
		extra, err := nodePackages(node.Needed)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", opts.Node, err)
		}
		packages = append(append([]string{}, packages...), extra...)
	}
	if err != nil {
		return nil, err
	}
	ix, err := newIndex(all)
	if err != nil {
		return nil, err
	}
	if res.Packages, err = ix.resolve(packages, leaves); err != nil {
		return nil, err
	}
	debs, err := opts.Cache.Subdir("debs")
	if err != nil {
		return nil, err
	}
	// Each package is unpacked as soon as it is downloaded, several at once:
	// the large ones' decompression then overlaps the others' downloads.
	xs := make([]*extracted, len(res.Packages))
	errs := make([]error, len(res.Packages))
	fetched := make([]bool, len(res.Packages))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, p := range res.Packages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			blob := opts.Cache.BlobPath("sha256:" + p.SHA256)
			if fi, err := os.Stat(blob); err != nil || fi.Size() != p.Size {
				if errs[i] = fetchDeb(ctx, f, opts.Cache, p); errs[i] != nil {
					return
				}
				fetched[i] = true
			}
			xs[i], errs[i] = extract(debs, blob, p)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, f := range fetched {
		if f {
			res.Downloaded++
		}
	}
	if res.NodeDownloaded {
		res.Downloaded++
	}
	res.Plan, err = plan(res.Packages, xs, node, opts.ModTime)
	return res, err
}

func fetchIndexes(ctx context.Context, f fetcher, srcs []Source, opts Options, res *Result) ([]Package, error) {
	type out struct {
		pkgs []Package
		err  error
	}
	outs := make([]out, len(srcs))
	var wg sync.WaitGroup
	for i, s := range srcs {
		keyring := opts.Keyring
		if keyring == "" {
			keyring = s.SignedBy
		}
		if keyring == "" {
			if _, err := os.Stat(DefaultKeyring); err == nil {
				keyring = DefaultKeyring
			}
		}
		if keyring == "" {
			res.Unverified = append(res.Unverified, s)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rel, err := f.fetchRelease(ctx, s, keyring)
			if err != nil {
				outs[i].err = err
				return
			}
			comps := s.Components
			if len(comps) == 0 {
				comps = []string{"main"}
			}
			for _, c := range comps {
				pkgs, err := f.fetchIndex(ctx, s, rel, c, opts.Arch)
				if err != nil {
					outs[i].err = err
					return
				}
				outs[i].pkgs = append(outs[i].pkgs, pkgs...)
			}
		}()
	}
	wg.Wait()
	var all []Package
	for _, o := range outs {
		if o.err != nil {
			return nil, o.err
		}
		all = append(all, o.pkgs...)
	}
	return all, nil
}

func plan(pkgs []Package, xs []*extracted, node *nodeDist, modTime time.Time) (*layering.Plan, error) {
	var big []int
	groups := make([][]int, smallGroups)
	for i, p := range pkgs {
		if p.InstalledSize >= bigPackage {
			big = append(big, i)
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(p.Name))
		g := h.Sum32() % smallGroups
		groups[g] = append(groups[g], i)
	}
	p := &layering.Plan{}
	layer := func(name string, idx []int) {
		seen := map[string]bool{}
		var es []layering.Entry
		for _, i := range idx {
			for _, e := range xs[i].entries() {
				if !seen[e.Path] {
					seen[e.Path] = true
					es = append(es, e)
				}
			}
		}
		p.Layers = append(p.Layers, layering.Layer{Name: name, Entries: es})
	}
	for _, i := range big {
		layer("debian package "+pkgs[i].String(), []int{i})
	}
	for g, idx := range groups {
		if len(idx) == 0 {
			continue
		}
		var names []string
		for _, i := range idx {
			names = append(names, pkgs[i].Name)
		}
		sort.Strings(names)
		layer(fmt.Sprintf("debian packages, group %d: %s", g, strings.Join(names, " ")), idx)
	}
	if node != nil {
		p.Layers = append(p.Layers, node.layer())
	}
	cfg, env, err := configure(pkgs, xs, modTime)
	if err != nil {
		return nil, err
	}
	p.Layers = append(p.Layers, cfg)
	p.Config = layering.Config{
		Env:        append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...),
		User:       fmt.Sprint(Nonroot),
		WorkingDir: "/home/nonroot",
	}
	// As distroless's nodejs images do, a base with node runs node: an app
	// image then only names its script. NODE_VERSION says which Node, as
	// the Node project's own images do, so that a build can check it
	// against the version range the project asks for.
	for i, x := range xs {
		for _, e := range x.Entries {
			if e.Path == "/usr/bin/node" {
				p.Config.Entrypoint = []string{"/usr/bin/node"}
				if pkgs[i].Name == "nodejs" {
					p.Config.Env = append(p.Config.Env, "NODE_VERSION="+UpstreamVersion(pkgs[i].Version))
				}
			}
		}
	}
	if node != nil {
		p.Config.Entrypoint = []string{NodeDir + "/bin/node"}
		p.Config.Env = append(p.Config.Env, "NODE_VERSION="+node.Release.Version)
	}
	return p, nil
}

// UpstreamVersion is a Debian version without its epoch, its Debian
// revision and its repackaging suffix: 18.20.4 for 18.20.4+dfsg-1~deb12u1.
func UpstreamVersion(v string) string {
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v = v[:i]
	}
	if i := strings.IndexAny(v, "+~"); i >= 0 {
		v = v[:i]
	}
	return v
}

// Preset is a curated package list, like a distroless image's.
type Preset struct {
	// Suite is the Debian release the preset is built from unless another
	// is asked for: the one whose packages it names (Java 11 is in bullseye
	// only, 21 and 25 in trixie).
	Suite    string
	Packages []string
	// Leaves are packages whose dependencies are not followed: as distroless
	// does, the static files of base-files, netbase, tzdata and
	// ca-certificates are taken without the tools their scripts use (debconf,
	// openssl, perl), and the headless JRE without the desktop and printing
	// libraries its optional features load (a headless server needs libc,
	// libgcc, libstdc++ and zlib, listed explicitly).
	Leaves []string
	// NodeMajor, when set, is the major of Node's official build the preset
	// ships (nodejsNN): its newest release, from the npm registry.
	NodeMajor int
}

var staticSet = []string{"base-files", "netbase", "tzdata", "ca-certificates"}

// ccSet names libssl3 or, where there is none (bullseye), libssl1.1; in
// trixie libssl3t64 provides libssl3. libssl1.1 depends on debconf (and so
// perl and dpkg) for its maintainer script only: it is a leaf, as distroless
// has it.
var (
	ccSet    = append(append([]string{}, staticSet...), "libc6", "libgcc-s1", "libstdc++6", "libssl3 | libssl1.1")
	ccLeaves = append(append([]string{}, staticSet...), "libssl1.1")
)

// DefaultSuite is the Debian release of presets that name none, and of
// package lists without a preset.
const DefaultSuite = "bookworm"

// javaPreset is cc with zlib and a headless JRE, whose other dependencies
// (desktop, printing, sound) are not followed.
func javaPreset(suite, jre string) Preset {
	return Preset{
		Suite:    suite,
		Packages: append(append([]string{}, ccSet...), "zlib1g", jre),
		Leaves:   append(append([]string{}, ccLeaves...), jre),
	}
}

// Presets match distroless's images in content. The Java presets cover
// every Java the reachable Debian releases ship.
var Presets = map[string]Preset{
	"static": {Suite: DefaultSuite, Packages: staticSet, Leaves: staticSet},
	"cc":     {Suite: DefaultSuite, Packages: ccSet, Leaves: ccLeaves},
	"java11": javaPreset("bullseye", "openjdk-11-jre-headless"),
	"java17": javaPreset("bookworm", "openjdk-17-jre-headless"),
	"java21": javaPreset("trixie", "openjdk-21-jre-headless"),
	"java25": javaPreset("trixie", "openjdk-25-jre-headless"),
	"nodejs": {Suite: DefaultSuite, Packages: append(append([]string{}, ccSet...), "nodejs"), Leaves: ccLeaves},
	// Node's official builds of the maintained majors; any other nodejsNN
	// is found by LookupPreset.
	"nodejs20": nodePreset(20),
	"nodejs22": nodePreset(22),
	"nodejs24": nodePreset(24),
	"nodejs26": nodePreset(26),
}

// nodePreset is Node's official build of a major on the libraries it needs,
// as distroless's nodejsNN images are: libc6, libgcc-s1 and libstdc++6 (and
// what else the binary links, read from it: libatomic1 for Node 26), with
// base-files, netbase, tzdata and ca-certificates. Node bundles OpenSSL, so
// there is no libssl.
func nodePreset(major int) Preset {
	return Preset{
		Suite:     DefaultSuite,
		Packages:  append(append([]string{}, staticSet...), "libc6", "libgcc-s1", "libstdc++6"),
		Leaves:    staticSet,
		NodeMajor: major,
	}
}

// LookupPreset returns the preset of that name: one of Presets, or nodejsNN
// for any other major NN.
func LookupPreset(name string) (Preset, bool) {
	if p, ok := Presets[name]; ok {
		return p, true
	}
	if n, ok := strings.CutPrefix(name, "nodejs"); ok && n != "" && len(n) <= 3 && strings.TrimLeft(n, "0123456789") == "" && n[0] != '0' {
		major, _ := strconv.Atoi(n)
		return nodePreset(major), true
	}
	return Preset{}, false
}
