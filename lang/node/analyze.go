// Package node plans images of Node.js applications from the node_modules the
// user installed: the lockfile's production closure only (no dev
// dependencies), symlinks kept as symlinks (node_modules/.bin, workspace
// links), third-party packages, workspace packages, links and the app's own
// files each in their own layers, and an entrypoint derived statically, never
// through npm or a shell.
package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

const (
	// AppDir is where the app goes in the image.
	AppDir = "/app"
	// FactNative lists native addons found in the production closure.
	FactNative = "node.native"
)

// Analyzer is the Node analyzer.
type Analyzer struct {
	Options
}

// Options are the Node analyzer's own options.
type Options struct {
	// Main is the file to run instead of the one derived from the project
	// (the start script's, "main", server.js, index.js).
	Main string
	// AllowNative lets native addons built on this machine go into an
	// image for another platform.
	AllowNative bool
	// IncludeEnvFiles puts .env files into the app layer; they are left
	// out by default, as they often hold secrets.
	IncludeEnvFiles bool
}

// settings are what an analysis is given: the common options and Node's own.
type settings struct {
	lang.Options
	own
}

type own = Options

// Flags implements lang.Analyzer.
func (a *Analyzer) Flags(fs lang.FlagSet) {
	fs.StringVar(&a.Main, "main", "", "Node: the file to run (default: the start script's file, \"main\", server.js or index.js)")
	fs.BoolVar(&a.AllowNative, "allow-native", false, "Node: put native addons built on this machine into an image for another platform")
	fs.BoolVar(&a.IncludeEnvFiles, "include-env-files", false, "Node: put .env and .env.* files into the image (left out by default: they often hold secrets; .env.example, .env.sample and .env.template always go in)")
}

// New returns the Node analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements lang.Analyzer.
func (*Analyzer) Name() string { return "node" }

// Marker implements lang.Marker.
func (*Analyzer) Marker() string { return "package.json" }

// Detect implements lang.Analyzer.
func (*Analyzer) Detect(dir string) (bool, error) {
	fi, err := os.Stat(filepath.Join(dir, "package.json"))
	return err == nil && !fi.IsDir(), nil
}

type packageJSON struct {
	Name       string            `json:"name"`
	Version    string            `json:"version"`
	Main       string            `json:"main"`
	Scripts    map[string]string `json:"scripts"`
	Files      []string          `json:"files"`
	Workspaces json.RawMessage   `json:"workspaces"`

	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

type lockEntry struct {
	Version          string            `json:"version"`
	Resolved         string            `json:"resolved"`
	Integrity        string            `json:"integrity"`
	Link             bool              `json:"link"`
	Dev              bool              `json:"dev"`
	Optional         bool              `json:"optional"`
	DevOptional      bool              `json:"devOptional"`
	HasInstallScript bool              `json:"hasInstallScript"`
	Bin              map[string]string `json:"-"`
	// unpinned: no integrity pins the package's content (a pnpm or yarn
	// package from a directory): its layer is keyed by its files' stats.
	unpinned bool
	// The dependency fields npm copies into the lockfile: the graph the
	// production closure is computed from.
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	Workspaces           workspaceList     `json:"workspaces"`
}

// workspaceList is the root entry's workspaces: patterns, as an array (or,
// in package.json, {"packages": [...]}).
type workspaceList []string

func (w *workspaceList) UnmarshalJSON(b []byte) error {
	var list []string
	if json.Unmarshal(b, &list) == nil {
		*w = list
		return nil
	}
	var obj struct {
		Packages []string `json:"packages"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	*w = obj.Packages
	return nil
}

type lockfile struct {
	LockfileVersion int                  `json:"lockfileVersion"`
	Packages        map[string]lockEntry `json:"packages"`
}

// readJSON decodes a file, turning syntax errors into file:line:column.
func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			l, c := position(b, se.Offset)
			return fmt.Errorf("%s:%d:%d: malformed JSON: %v", file, l, c, se)
		case errors.As(err, &te):
			l, c := position(b, te.Offset)
			return fmt.Errorf("%s:%d:%d: %s should be %s, not %s", file, l, c, te.Field, te.Type, te.Value)
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// Analyze implements lang.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, dir string, lo lang.Options) (*layering.Plan, error) {
	opts := settings{lo, a.Options}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	var pkg packageJSON
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		return nil, err
	}
	lockName, note := pickLockfile(dir)
	if note != "" && opts.Notify != nil {
		opts.Notify(note)
	}
	cl, err := cachedDependencies(dir, pkg, lockName, opts)
	if err != nil {
		return nil, err
	}
	if len(cl.native) > 0 {
		msg := "native addons in the production dependencies: " + strings.Join(cl.native, ", ")
		host := lang.Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
		target := opts.Platform
		if target.OS == "" {
			target = lang.Platform{OS: "linux", Arch: "amd64"}
		}
		if target.OS != host.OS || target.Arch != host.Arch {
			if !opts.AllowNative {
				return nil, fmt.Errorf("%s; they were built for %s, the image is for %s: run `npm ci` on a %s machine (or with --os/--cpu), or pass --allow-native to go on", msg, host, target, target)
			}
		}
		if opts.Notify != nil {
			opts.Notify(msg + " (built on this machine, for " + host.String() + ")")
		}
	}

	cmd, err := entrypoint(dir, pkg, opts.Main)
	if err != nil {
		return nil, err
	}
	app, err := appFiles(dir, pkg, cl.workspaceDirs, lockName, lang.Links{Root: dir, Follow: opts.FollowSymlinks}, opts)
	if err != nil {
		return nil, err
	}
	p := &layering.Plan{Config: layering.Config{
		Cmd:        cmd,
		Env:        []string{"NODE_ENV=production"},
		User:       "65532",
		WorkingDir: AppDir,
	}, BaseEntrypoint: "node", Runtime: ProjectRuntime(dir)}
	if len(cl.native) > 0 {
		p.Facts = map[string]string{FactNative: strings.Join(cl.native, ",")}
	}
	// The dependency layers are keyed by their packages' lockfile entries
	// and the platform, so an unchanged one is reused without statting its
	// files.
	for _, l := range cl.deps {
		l.Key = fmt.Sprintf("node-deps/v1\x00%s\x00", opts.Platform) + l.Key
		p.Layers = append(p.Layers, l)
	}
	p.Layers = append(p.Layers,
		layering.Layer{Name: "workspace packages", Entries: cl.workspace},
		layering.Layer{Name: "links (node_modules/.bin, workspace links)", Entries: cl.links},
		layering.Layer{Name: "application", Entries: app},
	)
	return p, nil
}

// lockfiles are the lockfiles langbuild reads, in the order it prefers
// them when node_modules does not say which package manager installed it,
// each with the files that manager leaves in node_modules.
var lockfiles = []struct {
	name    string
	markers []string
}{
	{"npm-shrinkwrap.json", []string{"node_modules/.package-lock.json"}},
	{"package-lock.json", []string{"node_modules/.package-lock.json"}},
	{pnpmLockName, []string{"node_modules/.modules.yaml", "node_modules/.pnpm"}},
	{yarnLockName, []string{"node_modules/.yarn-integrity", "node_modules/.yarn-state.yml"}},
}

// pickLockfile names the project's lockfile: the only one, or, of several,
// the one whose package manager installed node_modules (npm's first, as
// npm itself prefers npm-shrinkwrap.json). With none, it is
// package-lock.json, which readLockfile finds missing.
func pickLockfile(dir string) (name, note string) {
	var present []string
	for _, l := range lockfiles {
		if _, err := os.Stat(filepath.Join(dir, l.name)); err == nil {
			present = append(present, l.name)
		}
	}
	switch {
	case len(present) == 0:
		return "package-lock.json", ""
	case len(present) == 1 || (len(present) == 2 && present[1] == "package-lock.json" && present[0] == "npm-shrinkwrap.json"):
		return present[0], ""
	}
	for _, l := range lockfiles {
		if !slices.Contains(present, l.name) {
			continue
		}
		for _, m := range l.markers {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(m))); err == nil {
				return l.name, fmt.Sprintf("%s: reading %s, of %s, as its package manager installed node_modules", dir, l.name, strings.Join(present, ", "))
			}
		}
	}
	return present[0], fmt.Sprintf("%s: reading %s, of %s: remove the lockfiles of package managers the project does not use", dir, present[0], strings.Join(present, ", "))
}

// readLockfile reads the lockfile and checks that npm 7 or later wrote it
// and that node_modules is installed when it lists production packages.
func readLockfile(dir, lockName string) (lockfile, error) {
	lockPath := filepath.Join(dir, lockName)
	var lock lockfile
	if err := readJSON(lockPath, &lock); err != nil {
		if os.IsNotExist(err) {
			for _, other := range []string{"bun.lockb", "bun.lock"} {
				if _, err := os.Stat(filepath.Join(dir, other)); err == nil {
					return lockfile{}, fmt.Errorf("%s: no package-lock.json, pnpm-lock.yaml or yarn.lock, only %s, which langbuild does not read: install with npm, pnpm or yarn to write one of theirs (langbuild installs exactly what the lockfile says)", dir, other)
				}
			}
			return lockfile{}, fmt.Errorf("%s: no lockfile (package-lock.json, pnpm-lock.yaml or yarn.lock): run `npm install`, `pnpm install` or `yarn install` to write one (langbuild installs exactly what the lockfile says)", dir)
		}
		return lockfile{}, err
	}
	if lock.LockfileVersion < 2 || lock.Packages == nil {
		return lockfile{}, fmt.Errorf("%s: lockfileVersion %d: run `npm install` with npm 7 or later to upgrade it to version 3", lockPath, lock.LockfileVersion)
	}
	return lock, nil
}

// checkInstalled asks for node_modules when production packages need it.
func checkInstalled(dir string, prod map[string]bool) error {
	if len(prod) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		return fmt.Errorf("%s: no node_modules: run `npm ci` first", dir)
	}
	return nil
}

// checkInSync refuses a lockfile that lacks a dependency package.json
// declares, as npm ci does.
func checkInSync(pkg packageJSON, lock lockfile, lockName string) error {
	root := lock.Packages[""]
	for _, d := range declaredDeps(depField{"dependencies", pkg.Dependencies}, depField{"optionalDependencies", pkg.OptionalDependencies}, depField{"devDependencies", pkg.DevDependencies}, depField{"peerDependencies", pkg.PeerDependencies}) {
		_, a := root.Dependencies[d.name]
		_, b := root.OptionalDependencies[d.name]
		_, c := root.DevDependencies[d.name]
		_, p := root.PeerDependencies[d.name]
		if !a && !b && !c && !p {
			return fmt.Errorf("package.json's %s lists %s, which %s does not: run `npm install` to update the lockfile (npm ci refuses it too)", d.field, d.name, lockName)
		}
	}
	return nil
}

// pkgFiles is one installed package: its install path, lockfile entry and
// files.
type pkgFiles struct {
	key     string // node_modules/a or node_modules/a/node_modules/b
	top     string // the top-level package it belongs to (a or @s/a)
	lock    lockEntry
	entries []layering.Entry
	size    int64
	stamp   string // the files' stats, for an unpinned package
}

// closureResult is what the lockfile and node_modules give the image: the
// third-party packages' layers (keyed by their lockfile entries, without the
// platform), the workspace packages' files, the links, and the native addons.
type closureResult struct {
	deps          []layering.Layer
	workspace     []layering.Entry
	links         []layering.Entry
	workspaceDirs map[string]bool
	native        []string
}

// closure reads the production packages the lockfile lists from the
// installed node_modules, checking that each is there at the locked version
// (and integrity, when npm's hidden lockfile records it).
func closure(dir string, lock lockfile, prod map[string]bool, hidden map[string]lockEntry, lockName string) (*closureResult, error) {
	res := &closureResult{workspaceDirs: map[string]bool{}}
	var pkgs []pkgFiles
	keys := make([]string, 0, len(lock.Packages))
	for k := range lock.Packages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Every entry stays inside the project, whether it goes into the image
	// or not: a lockfile that says otherwise is not npm's.
	for _, k := range keys {
		e := lock.Packages[k]
		if strings.Contains(k, "..") || filepath.IsAbs(k) {
			return nil, fmt.Errorf("%s: package path %q leaves the project", lockName, k)
		}
		if e.Link && !within(filepath.Join(dir, filepath.FromSlash(e.Resolved)), dir) {
			return nil, fmt.Errorf("%s: %s links to %s, outside the project", lockName, k, e.Resolved)
		}
	}
	included := map[string]bool{} // install paths in the image
	for _, k := range keys {
		e := lock.Packages[k]
		if k == "" || !prod[k] {
			continue
		}
		src := filepath.Join(dir, filepath.FromSlash(k))
		dst := path.Join(AppDir, k)
		if e.Link {
			target := filepath.Join(dir, filepath.FromSlash(e.Resolved))
			rel, err := filepath.Rel(filepath.Dir(src), target)
			if err != nil {
				return nil, err
			}
			res.links = append(res.links, layering.Entry{Path: dst, Type: layering.TypeSymlink, Linkname: filepath.ToSlash(rel)})
			included[k] = true
			continue
		}
		if !isInstallPath(k) {
			// A workspace package's own directory (packages/x).
			res.workspaceDirs[k] = true
			es, _, native, err := walkPackage(src, dst)
			if err != nil {
				return nil, err
			}
			res.workspace = append(res.workspace, es...)
			if native || e.HasInstallScript {
				res.native = append(res.native, k)
			}
			included[k] = true
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, "package.json"))
		if err != nil {
			if e.Optional || e.DevOptional {
				continue // an optional package not installed for this platform
			}
			return nil, fmt.Errorf("%s is missing but %s lists it (%s): run `npm ci`", k, lockName, e.Version)
		}
		var inst struct {
			Version string `json:"version"`
		}
		json.Unmarshal(b, &inst)
		if e.Version != "" && inst.Version != e.Version {
			return nil, fmt.Errorf("%s: version %s is installed, %s says %s: run `npm ci`", k, inst.Version, lockName, e.Version)
		}
		if h, ok := hidden[k]; ok && e.Integrity != "" && h.Integrity != "" && h.Integrity != e.Integrity {
			return nil, fmt.Errorf("%s: the installed package's integrity differs from %s's: run `npm ci`", k, lockName)
		}
		es, size, native, err := walkPackage(src, dst)
		if err != nil {
			return nil, err
		}
		if native || e.HasInstallScript {
			res.native = append(res.native, k)
		}
		pf := pkgFiles{key: k, top: topPackage(k), lock: e, entries: es, size: size}
		if e.unpinned {
			pf.stamp = filesStamp(es)
		}
		pkgs = append(pkgs, pf)
		included[k] = true
	}
	// Bin links of included packages, in the node_modules/.bin of the
	// project, of each included package and of each workspace package.
	binDirs := []string{"node_modules/.bin"}
	for k := range included {
		binDirs = append(binDirs, k+"/node_modules/.bin")
	}
	sort.Strings(binDirs)
	for _, bd := range binDirs {
		ents, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(bd)))
		if err != nil {
			continue
		}
		for _, be := range ents {
			lp := filepath.Join(dir, filepath.FromSlash(bd), be.Name())
			target, err := os.Readlink(lp)
			if err != nil {
				continue // npm makes links here; anything else is not npm's
			}
			real := filepath.Join(filepath.Dir(lp), target)
			if owner := ownerPackage(dir, real); owner == "" || !included[owner] {
				continue // the bin of a dev dependency
			}
			res.links = append(res.links, layering.Entry{Path: path.Join(AppDir, bd, be.Name()), Type: layering.TypeSymlink, Linkname: target})
		}
	}
	sort.Strings(res.native)
	res.deps = dependencyLayers(pkgs)
	return res, nil
}

func rel(dir, p string) string {
	r, _ := filepath.Rel(dir, p)
	return filepath.ToSlash(r)
}

func within(p, dir string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, "../")
}

// isInstallPath: node_modules/x or .../node_modules/x (not a workspace dir).
func isInstallPath(k string) bool {
	return strings.HasPrefix(k, "node_modules/") || strings.Contains(k, "/node_modules/")
}

// topPackage is the first package of an install path (a, or @scope/a); in
// pnpm's node_modules/.pnpm, the package's own name.
func topPackage(k string) string {
	rest := strings.TrimPrefix(k, "node_modules/")
	if strings.HasPrefix(rest, ".pnpm/") {
		if i := strings.LastIndex(rest, "/node_modules/"); i >= 0 {
			rest = rest[i+len("/node_modules/"):]
		}
	}
	parts := strings.Split(rest, "/")
	if strings.HasPrefix(parts[0], "@") && len(parts) > 1 {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

// ownerPackage is the install path of the package a file belongs to.
func ownerPackage(dir, file string) string {
	r := rel(dir, file)
	i := strings.LastIndex(r, "node_modules/")
	if i < 0 {
		// A workspace directory (packages/x/...): its first two segments.
		parts := strings.Split(r, "/")
		if len(parts) >= 2 {
			return parts[0] + "/" + parts[1]
		}
		return ""
	}
	head, tail := r[:i+len("node_modules/")], r[i+len("node_modules/"):]
	parts := strings.Split(tail, "/")
	if strings.HasPrefix(parts[0], "@") && len(parts) > 1 {
		return head + parts[0] + "/" + parts[1]
	}
	return head + parts[0]
}

// walkPackage lists a package's files (not its nested node_modules, which
// the lockfile lists on their own), keeping symlinks as symlinks.
func walkPackage(src, dst string) (es []layering.Entry, size int64, native bool, err error) {
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == src {
			return nil
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		r, _ := filepath.Rel(src, p)
		to := path.Join(dst, filepath.ToSlash(r))
		switch {
		case d.Type()&os.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			es = append(es, layering.Entry{Path: to, Type: layering.TypeSymlink, Linkname: t})
		case d.IsDir():
			es = append(es, layering.Entry{Path: to, Type: layering.TypeDir})
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			size += fi.Size()
			if strings.HasSuffix(p, ".node") {
				native = true
			}
			es = append(es, layering.Entry{Path: to, Type: layering.TypeFile, Source: p})
		case !d.IsDir():
			return lang.Special(p, d.Type())
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("reading %s: %w", src, err)
	}
	return es, size, native, err
}

// dependencyLayers puts third-party packages in one layer, or, when they
// are large, in four chosen by a hash of the top-level package's name, so
// upgrading one package changes one layer. Each layer's key lists its
// packages' lockfile entries (path, version, integrity, resolved); the
// caller puts the platform in front.
func dependencyLayers(pkgs []pkgFiles) []layering.Layer {
	var total int64
	for _, p := range pkgs {
		total += p.size
	}
	n := 1
	if total > 16<<20 {
		n = 4
	}
	group := func(p pkgFiles) int {
		if n == 1 {
			return 0
		}
		return int(fnv32(p.top) % uint32(n))
	}
	counts := make([]int, n)
	for _, p := range pkgs {
		counts[group(p)] += len(p.entries)
	}
	out := make([]layering.Layer, n)
	keys := make([]strings.Builder, n)
	for i := range out {
		out[i].Name = "dependencies"
		out[i].Stable = true // third-party packages: compressed once, harder
		if n > 1 {
			out[i].Name = fmt.Sprintf("dependencies (%d of %d)", i+1, n)
		}
		out[i].Entries = make([]layering.Entry, 0, counts[i])
	}
	for _, p := range pkgs {
		g := group(p)
		out[g].Entries = append(out[g].Entries, p.entries...)
		for _, s := range []string{p.key, p.lock.Version, p.lock.Integrity, p.lock.Resolved} {
			keys[g].WriteString(s)
			keys[g].WriteByte(0)
		}
		if p.stamp != "" {
			keys[g].WriteString(p.stamp)
			keys[g].WriteByte(0)
		}
	}
	for i := range out {
		out[i].Key = keys[i].String()
		// In the order of their paths, a layer's entries are checked for
		// repeats without a set of them, on every build that plans it.
		sort.Slice(out[i].Entries, func(a, b int) bool { return out[i].Entries[a].Path < out[i].Entries[b].Path })
	}
	return out
}

// filesStamp identifies a package's files by their stats (size, mtime,
// inode), for a package whose lockfile entry pins no content.
func filesStamp(es []layering.Entry) string {
	h := sha256.New()
	for _, e := range es {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", e.Path, e.Type, e.Linkname)
		if e.Type == layering.TypeFile {
			if fi, err := os.Lstat(e.Source); err == nil {
				var ino uint64
				if st, ok := fi.Sys().(*syscall.Stat_t); ok {
					ino = st.Ino
				}
				fmt.Fprintf(h, "%d\x00%d\x00%d\x00%o\x00", fi.Size(), fi.ModTime().UnixNano(), ino, fi.Mode())
			}
		}
	}
	return "stat:" + hex.EncodeToString(h.Sum(nil))
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
