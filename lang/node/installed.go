package node

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// The production closure of a pnpm or yarn project, computed from the
// installed tree itself: from the project's (and its workspaces')
// dependencies, optionalDependencies and peerDependencies, each installed
// package's package.json is read and its own fields followed, every name
// found as Node finds it from the package's real path (the nearest
// node_modules upwards, symlinks followed to real paths, never leaving the
// project). The lockfile checks each step: what it resolved a dependency to
// must be what is installed, and a declared dependency it lacks is an
// error, as the package manager's frozen install refuses it. The result is
// a lockfile in npm's shape (install paths, links with their targets), so
// the image is made from it as from npm's.

// lockGraph is what a pnpm or yarn lockfile says of the packages the walk
// reaches. A node is the lockfile's name for a package (pnpm's snapshot
// key, yarn's resolution); "" is a package the lockfile does not describe
// (a bundled dependency, a link:), whose dependencies are only looked for.
type lockGraph interface {
	// importer is the node of a workspace directory ("." is the project).
	importer(dir string) (string, bool)
	// deps are the dependencies the lockfile lists for node besides what
	// its package.json declares (pnpm's resolved peers, packageExtensions).
	deps(node string) []lockDep
	// resolve is what the lockfile resolved name to for node, which asks
	// for it with rng (from its package.json; "" when it does not declare
	// it); ok is false when the lockfile does not list it.
	resolve(node, name, rng string) (p lockPkg, ok bool)
	// byVersion finds an installed package the lockfile does not resolve
	// for the package that asks, by its name and version: a peer, which
	// yarn leaves to wherever Node finds it. Only when peersByTree.
	byVersion(name, version string) (lockPkg, bool)
	// peersByTree says peers are found in the tree, not in the lockfile.
	peersByTree() bool
}

type lockDep struct {
	name     string
	optional bool
}

// lockPkg is a package as the lockfile resolved it.
type lockPkg struct {
	node      string
	version   string // "" when the lockfile pins none (a directory, a link)
	integrity string
	resolved  string
	// optional: installed only on the platforms it supports.
	optional bool
}

// manifest is the part of an installed package.json the walk reads.
type manifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	BundleDependencies   json.RawMessage   `json:"bundleDependencies"`
	BundledDependencies  json.RawMessage   `json:"bundledDependencies"`
	Scripts              map[string]string `json:"scripts"`
	Gypfile              bool              `json:"gypfile"`
}

// bundled reports whether the package ships name inside itself.
func (m *manifest) bundled(name string) bool {
	for _, raw := range []json.RawMessage{m.BundleDependencies, m.BundledDependencies} {
		if len(raw) == 0 {
			continue
		}
		var all bool
		if json.Unmarshal(raw, &all) == nil {
			if all {
				return true
			}
			continue
		}
		var names []string
		json.Unmarshal(raw, &names)
		for _, n := range names {
			if n == name {
				return true
			}
		}
	}
	return false
}

const (
	edgeRequired = iota
	edgeOptional
	edgePeer
)

type edge struct {
	name, rng string
	kind      int
}

// edges are what a package declares, then what the lockfile adds, by name.
func edges(m *manifest, extra []lockDep) []edge {
	kinds := map[string]edge{}
	for n, r := range m.Dependencies {
		kinds[n] = edge{n, r, edgeRequired}
	}
	for n, r := range m.OptionalDependencies {
		kinds[n] = edge{n, r, edgeOptional} // npm: optional wins over a same-named dependency
	}
	for n, r := range m.PeerDependencies {
		if _, ok := kinds[n]; !ok {
			kinds[n] = edge{n, r, edgePeer}
		}
	}
	for _, d := range extra {
		if _, ok := kinds[d.name]; !ok {
			k := edgeRequired
			if d.optional {
				k = edgeOptional
			}
			kinds[d.name] = edge{d.name, "", k}
		}
	}
	out := make([]edge, 0, len(kinds))
	for _, e := range kinds {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// instPkg is a package the walk reached: its real path in the project
// ("" is the project), its lockfile node and what the lockfile pins.
type instPkg struct {
	real string
	node string
	lock lockPkg
	m    *manifest
}

type walker struct {
	dir        string
	lockName   string
	install    string // the command that installs what the lockfile says
	update     string // the command that updates the lockfile
	lk         lockGraph
	workspaces map[string]bool // workspace directories, by real path

	pkgs  map[string]*instPkg
	queue []*instPkg
	links map[string]string // symlink → its target, both relative to the project
	stats map[string]pathStat
	found map[string]realResult
}

type pathStat struct {
	kind   int // statMissing, statPlain, statLink
	target string
}

const (
	statMissing = iota
	statPlain
	statLink
)

type realResult struct {
	real  string
	links []string
	ok    bool
	err   error
}

// pmProject is a pnpm or yarn project: its lockfile, read and checked
// against its package.json files, and its workspaces.
type pmProject struct {
	lockName   string
	install    string // installs node_modules as the lockfile says
	update     string // updates the lockfile
	graph      lockGraph
	workspaces []string // directories, relative to the project
	// noPeers leaves peerDependencies unfollowed, as yarn's own production
	// listings do; for the differential tests only.
	noPeers bool
}

// depField is one dependency field of a package.json.
type depField struct {
	field string
	deps  map[string]string
}

// declaredDep is a dependency a package.json declares, and where.
type declaredDep struct{ field, name, rng string }

// declaredDeps lists the dependencies of the fields, field by field, each
// field's by name.
func declaredDeps(fields ...depField) []declaredDep {
	var out []declaredDep
	for _, f := range fields {
		names := make([]string, 0, len(f.deps))
		for n := range f.deps {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, declaredDep{f.field, n, f.deps[n]})
		}
	}
	return out
}

// lockedDeps are what a lockfile must list for the package: its
// dependencies, optionalDependencies and devDependencies.
func (m *manifest) lockedDeps() []declaredDep {
	return declaredDeps(depField{"dependencies", m.Dependencies}, depField{"optionalDependencies", m.OptionalDependencies}, depField{"devDependencies", m.DevDependencies})
}

// manifestPath names a workspace's package.json in messages.
func manifestPath(dir string) string {
	if dir == "." || dir == "" {
		return "package.json"
	}
	return dir + "/package.json"
}

// rootManifest is the project's package.json as the walk reads it.
func rootManifest(pkg packageJSON) *manifest {
	return &manifest{Name: pkg.Name, Version: pkg.Version, Dependencies: pkg.Dependencies,
		OptionalDependencies: pkg.OptionalDependencies, PeerDependencies: pkg.PeerDependencies,
		DevDependencies: pkg.DevDependencies}
}

// readPMProject reads a pnpm-lock.yaml or yarn.lock (data) and checks the
// project's and its workspaces' package.json against it, as the package
// manager's frozen install would.
func readPMProject(dir string, pkg packageJSON, lockName string, data []byte) (*pmProject, error) {
	file := filepath.Join(dir, lockName)
	root := rootManifest(pkg)
	// Each workspace's package.json is checked as the project's is.
	checkAll := func(proj *pmProject, check func(dir string, m *manifest) error) (*pmProject, error) {
		if err := check(".", root); err != nil {
			return nil, err
		}
		for _, ws := range proj.workspaces {
			var m manifest
			if err := readJSON(filepath.Join(dir, filepath.FromSlash(ws), "package.json"), &m); err != nil {
				return nil, fmt.Errorf("workspace %s: %w", ws, err)
			}
			if err := check(ws, &m); err != nil {
				return nil, err
			}
		}
		return proj, nil
	}
	switch lockName {
	case pnpmLockName:
		lk, err := parsePnpmLock(file, data)
		if err != nil {
			return nil, err
		}
		proj := &pmProject{lockName: lockName, install: "pnpm install --frozen-lockfile", update: "pnpm install", graph: lk, workspaces: lk.workspaces()}
		return checkAll(proj, lk.checkImporter)
	case yarnLockName:
		var lk *yarnLock
		var err error
		proj := &pmProject{lockName: lockName, install: "yarn install --frozen-lockfile", update: "yarn install"}
		if isBerryLock(data) {
			if err := checkYarnLinker(dir); err != nil {
				return nil, err
			}
			proj.install = "yarn install --immutable"
			lk, err = parseBerryLock(file, data)
		} else {
			lk, err = parseYarnV1(file, data)
		}
		if err != nil {
			return nil, err
		}
		proj.graph = lk
		var patterns workspaceList
		if len(pkg.Workspaces) > 0 {
			if err := json.Unmarshal(pkg.Workspaces, &patterns); err != nil {
				return nil, fmt.Errorf("package.json's workspaces: %w", err)
			}
		}
		if proj.workspaces, err = yarnWorkspaces(dir, patterns); err != nil {
			return nil, err
		}
		return checkAll(proj, lk.checkWorkspace)
	}
	return nil, fmt.Errorf("%s: not a pnpm or yarn lockfile", lockName)
}

// installedDependencies reads a pnpm or yarn project's lockfile; the
// closure key is its bytes, package.json's dependency fields and the stamps
// of what the package manager installed: while they are the same, so is the
// installed tree's closure.
func installedDependencies(dir string, pkg packageJSON, lockName string, installed []fileStamp) (string, func() (*closureResult, error), error) {
	data, err := os.ReadFile(filepath.Join(dir, lockName))
	if err != nil {
		return "", nil, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", lockName, len(data))
	h.Write(data)
	fields, _ := json.Marshal([]any{pkg.Dependencies, pkg.OptionalDependencies, pkg.PeerDependencies, pkg.DevDependencies, pkg.Workspaces})
	h.Write(fields)
	for _, s := range installed {
		fmt.Fprintf(h, "%+v\x00", s)
	}
	compute := func() (*closureResult, error) {
		proj, err := readPMProject(dir, pkg, lockName, data)
		if err != nil {
			return nil, err
		}
		lock, err := installedClosure(dir, rootManifest(pkg), proj)
		if err != nil {
			return nil, err
		}
		prod := make(map[string]bool, len(lock.Packages))
		for k := range lock.Packages {
			prod[k] = true
		}
		return closure(dir, lock, prod, nil, lockName)
	}
	return hex.EncodeToString(h.Sum(nil)), compute, nil
}

// installedClosure walks the installed tree of the project in dir (and of
// its workspaces) and returns it as npm's lockfile would list it: every key
// is a production install path, a real package directory or a symlink to
// one.
func installedClosure(dir string, root *manifest, proj *pmProject) (lockfile, error) {
	w := &walker{
		dir: dir, lockName: proj.lockName, install: proj.install, update: proj.update, lk: proj.graph,
		workspaces: map[string]bool{},
		pkgs:       map[string]*instPkg{},
		links:      map[string]string{},
		stats:      map[string]pathStat{},
		found:      map[string]realResult{},
	}
	workspaces := proj.workspaces
	for _, ws := range workspaces {
		w.workspaces[ws] = true
	}
	if err := w.start("", root); err != nil {
		return lockfile{}, err
	}
	for _, ws := range workspaces {
		if err := w.start(ws, nil); err != nil {
			return lockfile{}, err
		}
	}
	if needsInstall(w.pkgs) {
		if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
			return lockfile{}, fmt.Errorf("%s: no node_modules: run `%s` first", dir, w.install)
		}
	}
	for len(w.queue) > 0 {
		p := w.queue[0]
		w.queue = w.queue[1:]
		var extra []lockDep
		if p.node != "" {
			extra = w.lk.deps(p.node)
		}
		for _, e := range edges(p.m, extra) {
			if e.kind == edgePeer && proj.noPeers {
				continue
			}
			if err := w.edge(p, e); err != nil {
				return lockfile{}, err
			}
		}
	}
	if err := w.hoisted(); err != nil {
		return lockfile{}, err
	}
	return w.lockfile(), nil
}

// needsInstall: the project or a workspace declares a production dependency.
func needsInstall(pkgs map[string]*instPkg) bool {
	for _, p := range pkgs {
		if len(p.m.Dependencies)+len(p.m.OptionalDependencies)+len(p.m.PeerDependencies) > 0 {
			return true
		}
	}
	return false
}

// start visits the project or a workspace.
func (w *walker) start(real string, m *manifest) error {
	ws := real
	if ws == "" {
		ws = "."
	}
	node, ok := w.lk.importer(ws)
	if !ok {
		return fmt.Errorf("%s does not list the workspace %s: run `%s`", w.lockName, ws, w.update)
	}
	if m == nil {
		var err error
		if m, err = w.manifest(real); err != nil {
			return err
		}
	}
	w.visit(real, node, lockPkg{node: node}, m)
	return nil
}

func (w *walker) visit(real, node string, lp lockPkg, m *manifest) {
	if _, ok := w.pkgs[real]; ok {
		return
	}
	p := &instPkg{real: real, node: node, lock: lp, m: m}
	w.pkgs[real] = p
	w.queue = append(w.queue, p)
}

func (w *walker) where(p *instPkg) string {
	if p.real == "" {
		return "the project"
	}
	return p.real
}

// edge follows one dependency of p.
func (w *walker) edge(p *instPkg, e edge) error {
	real, links, found, err := w.find(p.real, e.name)
	if err != nil {
		return err
	}
	if found && w.workspaces[real] {
		node, _ := w.lk.importer(real)
		m, err := w.manifest(real)
		if err != nil {
			return err
		}
		w.addLinks(links)
		w.visit(real, node, lockPkg{node: node}, m)
		return nil
	}
	var lp lockPkg
	listed := false
	bundled := p.m.bundled(e.name)
	treePeer := e.kind == edgePeer && w.lk.peersByTree()
	if p.node != "" && !bundled && !treePeer {
		lp, listed = w.lk.resolve(p.node, e.name, e.rng)
	}
	if !listed {
		switch {
		case p.node == "" || bundled:
			// Not the lockfile's to say: follow the tree.
		case treePeer:
			if !found {
				return nil
			}
			m, err := w.manifest(real)
			if err != nil {
				return err
			}
			if lp, listed = w.lk.byVersion(m.Name, m.Version); !listed {
				return fmt.Errorf("%s (%s %s) is installed, but %s does not list it: run `%s`", real, m.Name, m.Version, w.lockName, w.install)
			}
		case e.kind == edgeRequired:
			rng := ""
			if e.rng != "" {
				rng = " " + e.rng
			}
			return fmt.Errorf("%s depends on %s%s, which %s does not resolve for it: run `%s` to update the lockfile (a frozen install refuses it too)",
				w.where(p), e.name, rng, w.lockName, w.update)
		default:
			return nil // an optional dependency, or a peer, the lockfile leaves out
		}
	}
	if !found {
		// A peer the lockfile resolved was installed with the package.
		if e.kind == edgeOptional || lp.optional || (e.kind == edgePeer && !listed) {
			return nil // not installed on this platform, or a peer nobody provides
		}
		want := ""
		if lp.version != "" {
			want = fmt.Sprintf(" (%s resolves it to %s)", w.lockName, lp.version)
		}
		return fmt.Errorf("%s depends on %s, which is not installed%s: run `%s`", w.where(p), e.name, want, w.install)
	}
	m, err := w.manifest(real)
	if err != nil {
		return err
	}
	if lp.version != "" && m.Version != lp.version {
		return fmt.Errorf("%s: version %s is installed, %s says %s: run `%s`", real, m.Version, w.lockName, lp.version, w.install)
	}
	w.addLinks(links)
	w.visit(real, lp.node, lp, m)
	return nil
}

func (w *walker) addLinks(links []string) {
	for _, l := range links {
		if _, ok := w.links[l]; !ok {
			w.links[l] = w.stats[l].target
		}
	}
}

// manifest reads the package.json of the package at real.
func (w *walker) manifest(real string) (*manifest, error) {
	if p, ok := w.pkgs[real]; ok {
		return p.m, nil
	}
	file := filepath.Join(w.dir, filepath.FromSlash(real), "package.json")
	var m manifest
	if err := readJSON(file, &m); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s has no package.json: run `%s`", real, w.install)
		}
		return nil, err
	}
	return &m, nil
}

// find looks name up as Node does from the package at real path from: in
// from/node_modules, then in the node_modules of each directory above
// that is not itself a node_modules, up to the project.
func (w *walker) find(from, name string) (real string, links []string, found bool, err error) {
	d := from
	for {
		if d == "" || path.Base(d) != "node_modules" {
			p := "node_modules/" + name
			if d != "" {
				p = d + "/" + p
			}
			r := w.realpath(p)
			if r.err != nil || r.ok {
				return r.real, r.links, r.ok, r.err
			}
		}
		if d == "" {
			return "", nil, false, nil
		}
		if d = path.Dir(d); d == "." {
			d = ""
		}
	}
}

// realpath resolves p (relative to the project) through its symlinks, as
// the kernel would, refusing one that leaves the project; ok is false when
// nothing is there (Node then looks further up).
func (w *walker) realpath(p string) realResult {
	if r, ok := w.found[p]; ok {
		return r
	}
	r := w.resolvePath(p)
	w.found[p] = r
	return r
}

func (w *walker) resolvePath(p string) realResult {
	rest := strings.Split(p, "/")
	cur := ""
	var links []string
	for hops := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		next := c
		if cur != "" {
			next = cur + "/" + c
		}
		st := w.lstat(next)
		switch st.kind {
		case statMissing:
			return realResult{}
		case statLink:
			if hops++; hops > 40 {
				return realResult{err: fmt.Errorf("%s: too many levels of symbolic links", p)}
			}
			if st.target == "" {
				return realResult{err: fmt.Errorf("%s links to %s, outside the project", next, w.rawTarget(next))}
			}
			links = append(links, next)
			rest = append(strings.Split(st.target, "/"), rest...)
			cur = ""
			if st.target == "." {
				rest = rest[1:]
			}
		default:
			cur = next
		}
	}
	return realResult{real: cur, links: links, ok: true}
}

// lstat says what is at p (relative to the project); a symlink's target is
// made relative to the project, "" when it leaves it.
func (w *walker) lstat(p string) pathStat {
	if st, ok := w.stats[p]; ok {
		return st
	}
	var st pathStat
	full := filepath.Join(w.dir, filepath.FromSlash(p))
	fi, err := os.Lstat(full)
	switch {
	case err != nil:
		st.kind = statMissing
	case fi.Mode()&fs.ModeSymlink != 0:
		st.kind = statLink
		t, err := os.Readlink(full)
		if err != nil {
			st.kind = statMissing
			break
		}
		if filepath.IsAbs(t) {
			if r, err := filepath.Rel(w.dir, t); err == nil {
				t = r
			}
		} else {
			t = filepath.Join(filepath.Dir(filepath.FromSlash(p)), t)
		}
		if t = filepath.ToSlash(filepath.Clean(t)); t != ".." && !strings.HasPrefix(t, "../") && !filepath.IsAbs(t) {
			st.target = t
		}
	default:
		st.kind = statPlain
	}
	w.stats[p] = st
	return st
}

func (w *walker) rawTarget(p string) string {
	t, _ := os.Readlink(filepath.Join(w.dir, filepath.FromSlash(p)))
	return t
}

// hoisted adds the symlinks of the project's node_modules and of pnpm's
// hoisting directory (node_modules/.pnpm/node_modules) that lead to a
// production package: on disk Node finds a package there even from one
// that does not declare it, and so it must in the image.
func (w *walker) hoisted() error {
	for _, d := range []string{"node_modules", "node_modules/.pnpm/node_modules"} {
		names, err := linkNames(filepath.Join(w.dir, filepath.FromSlash(d)))
		if err != nil {
			return err
		}
		for _, n := range names {
			l := d + "/" + n
			if _, ok := w.links[l]; ok {
				continue
			}
			r := w.realpath(l)
			if r.err != nil || !r.ok {
				continue // a link that leads outside or nowhere is no package of the image's
			}
			if _, ok := w.pkgs[r.real]; ok && r.real != "" {
				w.addLinks(r.links)
			}
		}
	}
	return nil
}

// linkNames lists the symlinks in a node_modules directory, scoped ones as
// @scope/name.
func linkNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range ents {
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			out = append(out, e.Name())
		case e.IsDir() && strings.HasPrefix(e.Name(), "@"):
			sub, err := os.ReadDir(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			for _, s := range sub {
				if s.Type()&fs.ModeSymlink != 0 {
					out = append(out, e.Name()+"/"+s.Name())
				}
			}
		}
	}
	return out, nil
}

// lockfile lists what the walk reached as npm's lockfile would: the
// packages' real directories with what the lockfile pins, and the links.
func (w *walker) lockfile() lockfile {
	lock := lockfile{LockfileVersion: 3, Packages: map[string]lockEntry{}}
	for real, p := range w.pkgs {
		if real == "" {
			continue
		}
		e := lockEntry{Version: p.lock.version, Integrity: p.lock.integrity, Resolved: p.lock.resolved}
		if e.Version == "" {
			e.Version = p.m.Version
		}
		// What no integrity pins (a directory, a link:) is keyed by its files' stats.
		e.unpinned = p.lock.integrity == ""
		e.HasInstallScript = p.m.Gypfile || p.m.Scripts["preinstall"] != "" || p.m.Scripts["install"] != "" || p.m.Scripts["postinstall"] != ""
		if !e.HasInstallScript && isInstallPath(real) {
			if _, err := os.Stat(filepath.Join(w.dir, filepath.FromSlash(real), "binding.gyp")); err == nil {
				e.HasInstallScript = true
			}
		}
		lock.Packages[real] = e
	}
	for l, t := range w.links {
		lock.Packages[l] = lockEntry{Link: true, Resolved: t}
	}
	return lock
}
