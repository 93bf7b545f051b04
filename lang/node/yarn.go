package node

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// yarn.lock, as yarn 1 writes it ("# yarn lockfile v1": entries keyed by
// the descriptors name@range that resolved to them, dependencies by range)
// and as yarn berry (2 and later) writes it (YAML with __metadata, ranges
// with their protocol, npm:^1.0.0, and an entry per workspace). Either way
// node_modules is laid out as npm lays it out (hoisted) — with berry only
// under nodeLinker: node-modules; its default, Plug'n'Play, leaves no
// node_modules and is refused.

const yarnLockName = "yarn.lock"

// yarnEntry is one resolved package of a yarn.lock.
type yarnEntry struct {
	node      string // the entry's name in the walk: its first descriptor (yarn 1), its resolution (berry)
	name      string // the package's own name (an alias's target)
	version   string
	integrity string
	resolved  string
	deps      map[string]string // name → range, as the lockfile lists them
	optional  map[string]bool   // which of deps are optional
	soft      bool              // berry: a workspace, link: or portal:, not a registry package
	platform  bool              // berry: conditions (os=darwin): installed only there
}

// yarnLock is a yarn.lock read, yarn 1's or berry's.
type yarnLock struct {
	berry      bool
	entries    map[string]*yarnEntry // by node
	byDesc     map[string]*yarnEntry // by descriptor (name@range)
	versions   map[string]*yarnEntry // by name@version
	workspaces map[string]*yarnEntry // berry: by directory ("." is the project)
}

func newYarnLock(berry bool) *yarnLock {
	return &yarnLock{berry: berry, entries: map[string]*yarnEntry{}, byDesc: map[string]*yarnEntry{},
		versions: map[string]*yarnEntry{}, workspaces: map[string]*yarnEntry{}}
}

// descName splits a descriptor into name and range.
func descName(d string) (name, rng string) {
	i := strings.Index(d[min(1, len(d)):], "@") + 1
	if i <= 0 {
		return d, ""
	}
	return d[:i], d[i+1:]
}

func (lk *yarnLock) add(e *yarnEntry, descs []string) {
	lk.entries[e.node] = e
	for _, d := range descs {
		lk.byDesc[d] = e
	}
	first, rng := descName(descs[0])
	if e.name == "" {
		e.name = first
		if target, ok := strings.CutPrefix(rng, "npm:"); ok && len(target) > 1 && strings.Contains(target[1:], "@") {
			e.name, _ = descName(target) // an alias: the package it installs
		}
	}
	for _, n := range []string{first, e.name} {
		if _, ok := lk.versions[n+"@"+e.version]; !ok {
			lk.versions[n+"@"+e.version] = e
		}
	}
}

// readYarnLock reads yarn.lock, yarn 1's or berry's.
func readYarnLock(dir string) (*yarnLock, error) {
	file := filepath.Join(dir, yarnLockName)
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if isBerryLock(b) {
		return parseBerryLock(file, b)
	}
	return parseYarnV1(file, b)
}

// isBerryLock: berry's yarn.lock is YAML with a __metadata entry.
func isBerryLock(b []byte) bool {
	return bytes.HasPrefix(b, []byte("__metadata:")) || bytes.Contains(b, []byte("\n__metadata:"))
}

// yarnTokens splits a yarn 1 lockfile line: JSON-quoted strings and bare
// words, with the trailing ':' of a key and the ',' between descriptors
// taken off; colon says the line ended with one.
func yarnTokens(s string) (toks []string, colon bool, err error) {
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return toks, colon, nil
		}
		colon = false
		var tok string
		if s[0] == '"' {
			end, err := quotedEnd(s)
			if err != nil {
				return nil, false, err
			}
			if tok, err = strconv.Unquote(s[:end]); err != nil {
				return nil, false, fmt.Errorf("bad string %s", s[:end])
			}
			s = s[end:]
		} else {
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			tok, s = s[:end], s[end:]
			if t, ok := strings.CutSuffix(tok, ":"); ok && s == "" {
				tok, colon = t, true
			}
			tok = strings.TrimSuffix(tok, ",")
		}
		if len(s) > 0 && (s[0] == ':' || s[0] == ',') {
			colon = s[0] == ':'
			s = s[1:]
		}
		toks = append(toks, tok)
	}
}

// parseYarnV1 reads yarn 1's lockfile format.
func parseYarnV1(file string, b []byte) (*yarnLock, error) {
	lk := newYarnLock(false)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var cur *yarnEntry
	var descs []string
	var nested string // the field of the block being read (dependencies, ...)
	flush := func() {
		if cur != nil {
			lk.add(cur, descs)
		}
		cur = nil
	}
	for no := 1; sc.Scan(); no++ {
		line := strings.TrimRight(sc.Text(), " \r")
		t := strings.TrimLeft(line, " ")
		if t == "" || t[0] == '#' {
			continue
		}
		toks, colon, err := yarnTokens(t)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, no, err)
		}
		bad := fmt.Errorf("%s:%d: %q is not yarn lockfile v1", file, no, t)
		switch len(line) - len(t) {
		case 0:
			flush()
			if !colon || len(toks) == 0 {
				return nil, bad
			}
			descs = toks
			cur = &yarnEntry{node: toks[0], deps: map[string]string{}, optional: map[string]bool{}}
		case 2:
			if cur == nil {
				return nil, bad
			}
			nested = ""
			switch {
			case colon && len(toks) == 1:
				nested = toks[0]
			case len(toks) == 2:
				switch toks[0] {
				case "version":
					cur.version = toks[1]
				case "resolved":
					cur.resolved = toks[1]
				case "integrity":
					cur.integrity = toks[1]
				}
			default:
				return nil, bad
			}
		case 4:
			if cur == nil || nested == "" || len(toks) != 2 {
				return nil, bad
			}
			switch nested {
			case "dependencies":
				cur.deps[toks[0]] = toks[1]
			case "optionalDependencies":
				cur.deps[toks[0]] = toks[1]
				cur.optional[toks[0]] = true
			}
		default:
			return nil, bad
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	flush()
	return lk, nil
}

// parseBerryLock reads berry's YAML lockfile.
func parseBerryLock(file string, b []byte) (*yarnLock, error) {
	doc, err := parseYAML(file, b)
	if err != nil {
		return nil, err
	}
	lk := newYarnLock(true)
	for _, key := range doc.keys {
		if key == "__metadata" {
			continue
		}
		n := doc.fields[key]
		descs := strings.Split(key, ", ")
		e := &yarnEntry{
			node:      n.get("resolution").str(),
			version:   n.get("version").str(),
			integrity: n.get("checksum").str(),
			deps:      n.get("dependencies").strMap(),
			optional:  map[string]bool{},
			soft:      n.get("linkType").str() == "soft",
			platform:  n.get("conditions").str() != "",
		}
		if e.node == "" {
			return nil, fmt.Errorf("%s:%d: %s has no resolution", file, n.line, key)
		}
		e.resolved = e.node
		if e.deps == nil {
			e.deps = map[string]string{}
		}
		if meta := n.get("dependenciesMeta"); meta != nil {
			for _, d := range meta.keys {
				if meta.fields[d].get("optional").str() == "true" {
					e.optional[d] = true
				}
			}
		}
		// The package's own name is its resolution's: an alias installs
		// lodash as lodash-alias.
		e.name, _ = descName(e.node)
		lk.add(e, descs)
		if _, rng := descName(e.node); strings.HasPrefix(rng, "workspace:") {
			dir := path.Clean(strings.TrimPrefix(rng, "workspace:"))
			lk.workspaces[dir] = e
		}
	}
	return lk, nil
}

// workspaceNode is the node of a yarn 1 workspace, which its lockfile does
// not list.
const workspaceNode = "\x00workspace:"

func (lk *yarnLock) importer(dir string) (string, bool) {
	if dir == "" {
		dir = "."
	}
	if !lk.berry {
		return workspaceNode + dir, true
	}
	e, ok := lk.workspaces[dir]
	if !ok {
		return "", false
	}
	return e.node, true
}

func (lk *yarnLock) deps(node string) []lockDep {
	e := lk.entries[node]
	if e == nil || (lk.berry && e.soft) {
		// A workspace's entry lists its devDependencies too: its
		// package.json says which are production.
		return nil
	}
	out := make([]lockDep, 0, len(e.deps))
	for n := range e.deps {
		out = append(out, lockDep{name: n, optional: e.optional[n]})
	}
	return out
}

func (lk *yarnLock) resolve(node, name, rng string) (lockPkg, bool) {
	e := lk.entries[node]
	if lk.berry {
		// Berry's entries carry ranges with their protocol (npm:^1.0.0):
		// the asking entry's is the one to look up.
		if e == nil {
			return lockPkg{}, false
		}
		r, ok := e.deps[name]
		if !ok {
			return lockPkg{}, false
		}
		rng = r
	} else if rng == "" && e != nil {
		rng = e.deps[name]
	}
	if rng == "" {
		return lockPkg{}, false
	}
	if strings.HasPrefix(rng, "link:") || strings.HasPrefix(rng, "portal:") {
		if !lk.berry {
			return lockPkg{}, true // yarn 1 does not lock a link: the tree tells
		}
	}
	d := lk.byDesc[name+"@"+rng]
	if d == nil {
		return lockPkg{}, false
	}
	p := lockPkg{node: d.node, version: d.version, integrity: d.integrity, resolved: d.resolved, optional: d.platform}
	if d.soft {
		p.version = "" // 0.0.0-use.local
	}
	if e != nil && e.optional[name] {
		p.optional = true
	}
	return p, true
}

func (lk *yarnLock) byVersion(name, version string) (lockPkg, bool) {
	d := lk.versions[name+"@"+version]
	if d == nil {
		return lockPkg{}, false
	}
	return lockPkg{node: d.node, version: d.version, integrity: d.integrity, resolved: d.resolved}, true
}

func (lk *yarnLock) peersByTree() bool { return true }

// checkWorkspace refuses a package.json dependency a berry workspace's
// entry lacks or asks for with another range, as yarn install --immutable
// does. (Yarn 1's lockfile is keyed by name@range: the walk looks each up.)
func (lk *yarnLock) checkWorkspace(dir string, m *manifest) error {
	if !lk.berry {
		return nil
	}
	e := lk.workspaces[dir]
	if e == nil {
		return fmt.Errorf("%s does not list the workspace %s: run `yarn install`", yarnLockName, dir)
	}
	where := manifestPath(dir)
	for _, d := range m.lockedDeps() {
		r, ok := e.deps[d.name]
		if !ok {
			return fmt.Errorf("%s's %s lists %s, which %s does not: run `yarn install` to update the lockfile (yarn install --immutable refuses it too)", where, d.field, d.name, yarnLockName)
		}
		// A plain semver range is locked with the npm: protocol.
		if semverish.MatchString(d.rng) && r != "npm:"+d.rng && r != d.rng {
			return fmt.Errorf("%s's %s asks for %s %s, %s for %s: run `yarn install` to update the lockfile (yarn install --immutable refuses it too)", where, d.field, d.name, d.rng, yarnLockName, r)
		}
	}
	return nil
}

var semverish = regexp.MustCompile(`^[\^~<>=*0-9]`)

// yarnWorkspaces lists the directories the root package.json's workspaces
// patterns match that hold a package.json.
func yarnWorkspaces(dir string, patterns []string) ([]string, error) {
	seen := map[string]bool{}
	fsys := os.DirFS(dir)
	for _, pat := range patterns {
		pat = strings.TrimSuffix(strings.TrimPrefix(pat, "./"), "/")
		if strings.HasPrefix(pat, "!") || pat == "" {
			continue
		}
		// A pattern matches directories: glob their package.json.
		more, err := doublestar.Glob(fsys, pat+"/package.json")
		if err != nil {
			return nil, fmt.Errorf("package.json's workspaces: %q: %w", pat, err)
		}
		for _, m := range more {
			d := path.Dir(m)
			if d == "." || strings.HasPrefix(d, "node_modules/") || strings.Contains(d, "/node_modules/") {
				continue
			}
			seen[d] = true
		}
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}

// nodeLinkerRE finds nodeLinker in a .yarnrc.yml.
var nodeLinkerRE = regexp.MustCompile(`(?m)^nodeLinker:\s*["']?([A-Za-z-]+)`)

// checkYarnLinker refuses a berry project installed with Plug'n'Play,
// which leaves no node_modules for the image to take.
func checkYarnLinker(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".yarn-state.yml")); err == nil {
		return nil // the node-modules linker installed node_modules
	}
	linker := "pnp"
	if b, err := os.ReadFile(filepath.Join(dir, ".yarnrc.yml")); err == nil {
		if m := nodeLinkerRE.FindSubmatch(b); m != nil {
			linker = string(m[1])
		}
	}
	if linker == "node-modules" || linker == "pnpm" {
		return nil
	}
	what := "yarn's Plug'n'Play (the default of yarn 2 and later)"
	if _, err := os.Stat(filepath.Join(dir, ".pnp.cjs")); err == nil {
		what = "yarn's Plug'n'Play (.pnp.cjs)"
	}
	return fmt.Errorf("%s: installed with %s, which leaves no node_modules to put in the image: set `nodeLinker: node-modules` in .yarnrc.yml and run `yarn install`", dir, what)
}
