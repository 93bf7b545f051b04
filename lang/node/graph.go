package node

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// The production closure, as npm computes it for --omit=dev: every package
// reached from the project (and its workspaces) through dependencies,
// optionalDependencies and peerDependencies, each name found as Node finds
// it (the nearest node_modules upwards from the package that asks). The
// lockfile's dev, devOptional and optional flags are not trusted: npm
// itself recomputes them from the graph, and lockfiles in the wild carry
// stale ones (a package a production dependency needs, marked dev).

// edges are a lockfile entry's dependency fields, with which are optional.
func (e lockEntry) edges() (names []string, optional map[string]bool) {
	optional = map[string]bool{}
	seen := map[string]bool{}
	add := func(m map[string]string, opt bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
				optional[k] = opt
			} else if !opt {
				optional[k] = false
			}
		}
	}
	add(e.Dependencies, false)
	add(e.OptionalDependencies, true)
	// A peer is the asking package's to find where it is installed; a
	// missing one is npm's warning, not ours.
	add(e.PeerDependencies, true)
	return names, optional
}

// resolveFrom finds the install path of name as Node does from the package
// at from ("" is the project): from/node_modules/name, then in each
// directory above that is not itself a node_modules.
func resolveFrom(pkgs map[string]lockEntry, from, name string) (string, bool) {
	d := from
	for {
		if path.Base(d) != "node_modules" {
			k := "node_modules/" + name
			if d != "" {
				k = d + "/" + k
			}
			if _, ok := pkgs[k]; ok {
				return k, true
			}
		}
		if d == "" || d == "." {
			return "", false
		}
		d = path.Dir(d)
		if d == "." {
			d = ""
		}
	}
}

// prodClosure returns the install paths (lockfile keys) of the production
// closure; a link's key and its target's are both in it. lockName names
// the lockfile in messages. notes are one-line remarks (flags the graph
// contradicts).
func prodClosure(lock lockfile, lockName string) (set map[string]bool, notes []string, err error) {
	pkgs := lock.Packages
	set = map[string]bool{}
	var queue []string
	visit := func(k string) {
		if !set[k] {
			set[k] = true
			queue = append(queue, k)
		}
	}
	root := pkgs[""]
	// The project's workspaces: production packages of their own.
	for k, e := range pkgs {
		if e.Link && strings.HasPrefix(k, "node_modules/") && !strings.Contains(strings.TrimPrefix(k, "node_modules/"), "/node_modules/") {
			if _, ok := pkgs[e.Resolved]; ok && isWorkspace(root, e.Resolved) {
				visit(k)
			}
		}
	}
	walk := func(from string, e lockEntry) error {
		names, optional := e.edges()
		for _, n := range names {
			k, ok := resolveFrom(pkgs, from, n)
			if !ok {
				if optional[n] {
					continue
				}
				where := "the project"
				if from != "" {
					where = from
				}
				return fmt.Errorf("%s: %s depends on %s, which it does not list: run `npm install` to bring the lockfile up to date", lockName, where, n)
			}
			visit(k)
		}
		return nil
	}
	if err := walk("", root); err != nil {
		return nil, nil, err
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		e := pkgs[k]
		from := k
		if e.Link {
			if _, ok := pkgs[e.Resolved]; ok {
				visit(e.Resolved)
			}
			continue // a link to a directory the lockfile does not describe has no edges
		}
		if err := walk(from, e); err != nil {
			return nil, nil, err
		}
	}
	// Where the lockfile's flags say otherwise, say so once.
	var flaggedDev []string
	for k := range set {
		if e := pkgs[k]; e.Dev {
			flaggedDev = append(flaggedDev, k)
		}
	}
	if len(flaggedDev) > 0 {
		sort.Strings(flaggedDev)
		names := flaggedDev
		if len(names) > 3 {
			names = append(names[:3:3], fmt.Sprintf("and %d more", len(flaggedDev)-3))
		}
		notes = append(notes, fmt.Sprintf("%s marks dev what production packages need (%s): it goes into the image, as npm installs it with --omit=dev",
			lockName, strings.Join(names, ", ")))
	}
	return set, notes, nil
}

// isWorkspace reports whether dir is one of the project's workspace
// packages: a directory the root's workspaces patterns match.
func isWorkspace(root lockEntry, dir string) bool {
	if dir == "" || isInstallPath(dir) || strings.HasPrefix(dir, "..") || strings.HasPrefix(dir, "/") {
		return false
	}
	for _, pat := range root.Workspaces {
		pat = strings.TrimSuffix(strings.TrimPrefix(pat, "./"), "/")
		if ok, _ := path.Match(pat, dir); ok || pat == dir {
			return true
		}
		if strings.HasSuffix(pat, "/**") && strings.HasPrefix(dir, strings.TrimSuffix(pat, "**")) {
			return true
		}
	}
	return false
}
