package node

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// pnpm-lock.yaml, version 9 (pnpm 9 and 10): importers (the project and its
// workspaces, with the specifier each dependency was asked with and the
// version it resolved to), packages (one per name@version: its
// resolution) and snapshots (one per name@version(peers): what it depends
// on). pnpm installs each snapshot in node_modules/.pnpm/<name>@<version>
// (<peers>)/node_modules/<name> and links its dependencies beside it, so
// Node finds them from the package's real path.

// pnpmLockName is the file pnpm writes.
const pnpmLockName = "pnpm-lock.yaml"

type pnpmDep struct{ specifier, version string }

type pnpmImporter struct {
	dir                            string
	deps, optional, dev            map[string]pnpmDep
	depNames, optionalNames, names []string
}

type pnpmSnapshot struct {
	deps, optional map[string]string
	isOptional     bool
}

type pnpmPackage struct {
	version, integrity, resolved string
}

type pnpmLock struct {
	importers map[string]*pnpmImporter
	packages  map[string]pnpmPackage
	snapshots map[string]*pnpmSnapshot
	overrides bool
}

// importer nodes are kept apart from snapshot keys, which never hold a
// NUL.
const importerPrefix = "\x00importer:"

// readPnpmLock reads a version 9 pnpm-lock.yaml.
func readPnpmLock(dir string) (*pnpmLock, error) {
	file := filepath.Join(dir, pnpmLockName)
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parsePnpmLock(file, b)
}

func parsePnpmLock(file string, b []byte) (*pnpmLock, error) {
	doc, err := parseYAML(file, b)
	if err != nil {
		return nil, err
	}
	v := doc.get("lockfileVersion").str()
	if major, _, _ := strings.Cut(v, "."); major != "9" {
		if v == "" {
			v = "missing"
		}
		return nil, fmt.Errorf("%s: lockfileVersion %s: run `pnpm install` with pnpm 9 or later to write version 9.0", file, v)
	}
	lk := &pnpmLock{
		importers: map[string]*pnpmImporter{},
		packages:  map[string]pnpmPackage{},
		snapshots: map[string]*pnpmSnapshot{},
		overrides: doc.get("overrides") != nil,
	}
	deps := func(n *yamlNode) (map[string]pnpmDep, []string) {
		if n == nil {
			return nil, nil
		}
		m := make(map[string]pnpmDep, len(n.keys))
		for _, k := range n.keys {
			d := n.fields[k]
			m[k] = pnpmDep{specifier: d.get("specifier").str(), version: d.get("version").str()}
		}
		return m, n.keys
	}
	imps := doc.get("importers")
	if imps == nil {
		return nil, fmt.Errorf("%s: no importers: run `pnpm install` with pnpm 9 or later", file)
	}
	for _, k := range imps.keys {
		n := imps.fields[k]
		clean := path.Clean(k)
		if clean == ".." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
			return nil, fmt.Errorf("%s:%d: the importer %s is outside the project", file, n.line, k)
		}
		im := &pnpmImporter{dir: clean}
		im.deps, im.depNames = deps(n.get("dependencies"))
		im.optional, im.optionalNames = deps(n.get("optionalDependencies"))
		im.dev, _ = deps(n.get("devDependencies"))
		lk.importers[clean] = im
	}
	if pkgs := doc.get("packages"); pkgs != nil {
		for _, k := range pkgs.keys {
			n := pkgs.fields[k]
			res := n.get("resolution")
			p := pnpmPackage{version: n.get("version").str(), integrity: res.get("integrity").str()}
			for _, f := range []string{"tarball", "commit", "directory"} {
				if s := res.get(f).str(); s != "" {
					p.resolved = f + ":" + s
				}
			}
			lk.packages[k] = p
		}
	}
	if snaps := doc.get("snapshots"); snaps != nil {
		for _, k := range snaps.keys {
			n := snaps.fields[k]
			lk.snapshots[k] = &pnpmSnapshot{
				deps:       n.get("dependencies").strMap(),
				optional:   n.get("optionalDependencies").strMap(),
				isOptional: n.get("optional").str() == "true",
			}
		}
	}
	return lk, nil
}

// workspaces are the importers besides the project: its workspace
// packages' directories.
func (lk *pnpmLock) workspaces() []string {
	var out []string
	for d := range lk.importers {
		if d != "." {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// checkImporter refuses a package.json dependency the lockfile's importer
// lacks, or asks for with another specifier, as pnpm install
// --frozen-lockfile does.
func (lk *pnpmLock) checkImporter(dir string, pkg *manifest) error {
	im, ok := lk.importers[dir]
	if !ok {
		return fmt.Errorf("%s does not list the workspace %s: run `pnpm install`", pnpmLockName, dir)
	}
	where := manifestPath(dir)
	for _, d := range pkg.lockedDeps() {
		l, ok := im.deps[d.name]
		if !ok {
			l, ok = im.optional[d.name]
		}
		if !ok {
			l, ok = im.dev[d.name]
		}
		if !ok {
			return fmt.Errorf("%s's %s lists %s, which %s does not: run `pnpm install` to update the lockfile (pnpm install --frozen-lockfile refuses it too)", where, d.field, d.name, pnpmLockName)
		}
		if !lk.overrides && l.specifier != d.rng {
			return fmt.Errorf("%s's %s asks for %s %s, %s for %s: run `pnpm install` to update the lockfile (pnpm install --frozen-lockfile refuses it too)", where, d.field, d.name, d.rng, pnpmLockName, l.specifier)
		}
	}
	return nil
}

func (lk *pnpmLock) importer(dir string) (string, bool) {
	if dir == "" {
		dir = "."
	}
	_, ok := lk.importers[dir]
	return importerPrefix + dir, ok
}

func (lk *pnpmLock) deps(node string) []lockDep {
	var out []lockDep
	if dir, ok := strings.CutPrefix(node, importerPrefix); ok {
		im := lk.importers[dir]
		for _, n := range im.depNames {
			out = append(out, lockDep{name: n})
		}
		for _, n := range im.optionalNames {
			out = append(out, lockDep{name: n, optional: true})
		}
		return out
	}
	s := lk.snapshots[node]
	if s == nil {
		return nil
	}
	for n := range s.deps {
		out = append(out, lockDep{name: n})
	}
	for n := range s.optional {
		out = append(out, lockDep{name: n, optional: true})
	}
	return out
}

func (lk *pnpmLock) resolve(node, name, _ string) (lockPkg, bool) {
	var ref, base string
	var ok bool
	if dir, isImp := strings.CutPrefix(node, importerPrefix); isImp {
		im := lk.importers[dir]
		var d pnpmDep
		if d, ok = im.deps[name]; !ok {
			d, ok = im.optional[name]
		}
		ref, base = d.version, dir
	} else if s := lk.snapshots[node]; s != nil {
		if ref, ok = s.deps[name]; !ok {
			ref, ok = s.optional[name]
		}
		base = "."
	}
	if !ok {
		return lockPkg{}, false
	}
	if target, isLink := strings.CutPrefix(ref, "link:"); isLink {
		// A workspace package or a linked directory: the tree tells.
		dir := path.Clean(path.Join(base, target))
		if _, ok := lk.importers[dir]; ok {
			return lockPkg{node: importerPrefix + dir}, true
		}
		return lockPkg{}, true
	}
	key := pnpmDepPath(ref, name)
	p := lockPkg{node: key, resolved: key}
	pkgKey, version := pnpmPackageKey(key)
	pk, known := lk.packages[pkgKey]
	if s, ok := lk.snapshots[key]; ok {
		p.optional = s.isOptional
	} else if !known {
		return lockPkg{}, false // a reference to a package the lockfile lacks
	}
	p.integrity = pk.integrity
	if pk.resolved != "" {
		p.resolved += "\x00" + pk.resolved
	}
	p.version = pk.version
	if p.version == "" && !strings.Contains(version, ":") {
		p.version = version // name@version; a directory, a tarball or a git commit pins none
	}
	return p, true
}

// pnpmPackageKey splits a snapshot key into its packages key (without the
// peers) and the version in it.
func pnpmPackageKey(key string) (pkgKey, version string) {
	at := strings.Index(key[min(1, len(key)):], "@") + 1
	if at <= 0 {
		return key, ""
	}
	pkgKey = key
	if i := strings.Index(key[at:], "("); i >= 0 {
		pkgKey = key[:at+i]
	}
	return pkgKey, pkgKey[at+1:]
}

// pnpmDepPath is the snapshot key a dependency's reference names: a
// version (with peers) of the dependency itself, or an alias's full
// name@version (pnpm's refToRelative).
func pnpmDepPath(ref, name string) string {
	if strings.HasPrefix(ref, "@") {
		return ref
	}
	at := strings.Index(ref, "@")
	if at < 0 {
		return name + "@" + ref
	}
	colon, paren := strings.Index(ref, ":"), strings.Index(ref, "(")
	if (colon < 0 || at < colon) && (paren < 0 || at < paren) {
		return ref
	}
	return name + "@" + ref
}

func (lk *pnpmLock) byVersion(string, string) (lockPkg, bool) { return lockPkg{}, false }
func (lk *pnpmLock) peersByTree() bool                        { return false }
