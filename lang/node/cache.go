package node

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"time"

	"github.com/langbuild/langbuild/layering"
)

// depsRecord is what the analysis of a project's installed dependencies
// found, kept between builds in one file per project directory.
type depsRecord struct {
	V int
	// Inputs are the stamps of what the analysis read besides the
	// workspace packages: while they are all as they were, the record is
	// used without reading the lockfile, let alone node_modules.
	Inputs []fileStamp
	// Closure is a hash of the lockfile's production entries and of the
	// stamps of node_modules, npm's hidden lockfile and node_modules/.bin:
	// a lockfile that was rewritten (a git checkout, an npm install with
	// nothing to do) is parsed again, but node_modules is not walked again.
	Closure string
	// Deps are the dependency layers, keyed without the platform.
	Deps       []layering.Layer
	Links      []layering.Entry
	Native     []string
	Workspaces []string // the workspace packages' directories, walked afresh
}

// depsRecordVersion changes whenever what is recorded, or how it is
// computed, changes, so that an older record is not trusted.
const depsRecordVersion = 3

// fileStamp identifies a version of a file (or directory) by its stat.
type fileStamp struct {
	Name   string
	Absent bool
	Size   int64
	MTime  int64 // nanoseconds
	Inode  uint64
	Mode   uint32
}

// inputs are what a project's dependencies are read from, as far as a stat
// can tell: every package manager rewrites its lockfile and the state it
// keeps in node_modules on every install (npm's hidden lockfile, pnpm's
// .modules.yaml and node_modules/.pnpm/lock.yaml, yarn's .yarn-integrity or
// .yarn-state.yml), adding or removing a top-level package changes
// node_modules, and pnpm adds or removes a directory of node_modules/.pnpm
// for any package. Every manager's files are stamped, whichever installed
// the project: a switch from one to another is seen too.
var (
	lockInputs = []string{"package.json", "package-lock.json", "npm-shrinkwrap.json",
		pnpmLockName, yarnLockName, ".yarnrc.yml", ".pnp.cjs"}
	installInputs = []string{"node_modules", "node_modules/.package-lock.json", "node_modules/.bin",
		"node_modules/.pnpm", "node_modules/.modules.yaml", "node_modules/.pnpm/lock.yaml",
		"node_modules/.yarn-integrity", "node_modules/.yarn-state.yml"}
)

func stamps(dir string, names []string) []fileStamp {
	out := make([]fileStamp, len(names))
	for i, n := range names {
		out[i].Name = n
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			out[i].Absent = true
			continue
		}
		out[i].Size, out[i].MTime, out[i].Mode = fi.Size(), fi.ModTime().UnixNano(), uint32(fi.Mode())
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			out[i].Inode = st.Ino
		}
	}
	return out
}

// racy reports whether a stamp may not tell two versions of its file apart:
// the file was modified so shortly before the analysis began that a second
// write of the same size, in the same tick of the file system's clock,
// would leave the stamp as it is (git's "racily clean" entries).
func racy(ss []fileStamp, began time.Time) bool {
	limit := began.Add(-racyWindow).UnixNano()
	for _, s := range ss {
		if !s.Absent && s.MTime >= limit {
			return true
		}
	}
	return false
}

// racyWindow is wider than the coarsest modification-time granularity of
// the common file systems (one second on ext3 or HFS+).
const racyWindow = 2 * time.Second

// cachedDependencies is closure, remembered. With every input's stamp as it
// was, the record is used as it is; with only the lockfile's changed, the
// lockfile is read and checked again, and the record used while the
// production entries are the same (npm) or the lockfile's bytes and
// package.json's dependency fields are (pnpm, yarn, whose closure is the
// installed tree's). Workspace packages, being the project's own sources,
// are always read afresh. Editing files inside node_modules by hand is not
// noticed: run npm ci (pnpm install, yarn install).
func cachedDependencies(dir string, pkg packageJSON, lockName string, opts settings) (*closureResult, error) {
	began := time.Now()
	installed := stamps(dir, installInputs)
	inputs := append(stamps(dir, lockInputs), installed...)
	file := ""
	var rec depsRecord
	if opts.WorkDir != "" {
		file = recordFile(opts.WorkDir, dir)
		rec, _ = readRecord(file) // a missing or bad record is no record
		if rec.Inputs != nil && slices.Equal(rec.Inputs, inputs) {
			return fromRecord(dir, rec)
		}
	}

	var closureKey string
	var compute func() (*closureResult, error)
	var err error
	switch lockName {
	case pnpmLockName, yarnLockName:
		closureKey, compute, err = installedDependencies(dir, pkg, lockName, installed)
	default:
		closureKey, compute, err = npmDependencies(dir, pkg, lockName, installed, opts)
	}
	if err != nil {
		return nil, err
	}
	if file == "" {
		return compute()
	}
	if rec.Closure != "" && rec.Closure == closureKey {
		res, err := fromRecord(dir, rec)
		if err == nil && !racy(inputs, began) {
			rec.Inputs = inputs
			writeRecord(file, rec)
		}
		return res, err
	}
	res, err := compute()
	if err != nil {
		return nil, err
	}
	rec = depsRecord{V: depsRecordVersion, Deps: res.deps, Links: res.links, Native: res.native}
	for k := range res.workspaceDirs {
		rec.Workspaces = append(rec.Workspaces, k)
	}
	sort.Strings(rec.Workspaces)
	// A stamp taken too soon after its file was written vouches for nothing;
	// the next build reads again what it covers.
	if !racy(installed, began) {
		rec.Closure = closureKey
		if !racy(inputs, began) {
			rec.Inputs = inputs
		}
	}
	writeRecord(file, rec)
	return res, nil
}

// npmDependencies reads and checks npm's lockfile; the closure key is its
// production entries' and the stamps of what npm installed.
func npmDependencies(dir string, pkg packageJSON, lockName string, installed []fileStamp, opts settings) (string, func() (*closureResult, error), error) {
	lock, err := readLockfile(dir, lockName)
	if err != nil {
		return "", nil, err
	}
	if err := checkInSync(pkg, lock, lockName); err != nil {
		return "", nil, err
	}
	prod, notes, err := prodClosure(lock, lockName)
	if err != nil {
		return "", nil, err
	}
	if err := checkInstalled(dir, prod); err != nil {
		return "", nil, err
	}
	for _, n := range notes {
		if opts.Notify != nil {
			opts.Notify(n)
		}
	}
	compute := func() (*closureResult, error) { return closure(dir, lock, prod, readHidden(dir), lockName) }
	return closureHash(lock, prod, installed), compute, nil
}

// recordFile is where the record of the project in dir is kept.
func recordFile(workDir, dir string) string {
	h := sha256.Sum256([]byte(dir))
	return filepath.Join(workDir, "node", hex.EncodeToString(h[:16])+".deps")
}

// readHidden reads npm's hidden lockfile, which records what npm installed;
// it is read only when node_modules must be walked again.
func readHidden(dir string) map[string]lockEntry {
	var hl lockfile
	if readJSON(filepath.Join(dir, "node_modules", ".package-lock.json"), &hl) != nil {
		return nil
	}
	return hl.Packages
}

// closureHash keys the closure listing by the lockfile's production entries
// and the stamps of what npm installed.
func closureHash(lock lockfile, prod map[string]bool, installed []fileStamp) string {
	h := sha256.New()
	var keys []string
	for k := range prod {
		e := lock.Packages[k]
		keys = append(keys, fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%v", k, e.Version, e.Integrity, e.Resolved, e.Link))
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s\x00", k)
	}
	for _, s := range installed {
		fmt.Fprintf(h, "%+v\x00", s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeRecord keeps rec in file, through a temp file and a rename. The
// record only saves work: failing to write it must not fail the build.
func writeRecord(file string, rec depsRecord) {
	if file == "" {
		return
	}
	b, err := encodeRecord(rec)
	if err != nil {
		return
	}
	os.MkdirAll(filepath.Dir(file), 0o755)
	// Listings from before the record existed (gob files) are of no use now.
	if old, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "*.gob")); len(old) > 0 {
		for _, f := range old {
			os.Remove(f)
		}
	}
	tmp := fmt.Sprintf("%s.%d.tmp", file, os.Getpid())
	if os.WriteFile(tmp, b, 0o644) == nil {
		if os.Rename(tmp, file) != nil {
			os.Remove(tmp)
		}
	}
}

func fromRecord(dir string, rec depsRecord) (*closureResult, error) {
	res := &closureResult{deps: rec.Deps, links: rec.Links, native: rec.Native, workspaceDirs: map[string]bool{}}
	for i := range res.deps {
		res.deps[i].Stable = true // as dependencyLayers makes them; the record does not keep it
	}
	for _, k := range rec.Workspaces {
		res.workspaceDirs[k] = true
		es, _, _, err := walkPackage(filepath.Join(dir, filepath.FromSlash(k)), path.Join(AppDir, k))
		if err != nil {
			return nil, err
		}
		res.workspace = append(res.workspace, es...)
	}
	return res, nil
}
