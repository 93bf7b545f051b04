package debian

import (
	"fmt"
	"sort"
	"strings"

	"pault.ag/go/debian/dependency"
	"pault.ag/go/debian/version"
)

// index is every package the configured repositories offer.
type index struct {
	byName   map[string][]Package // newest version first
	provides map[string][]Package // virtual name -> providers
}

func newIndex(pkgs []Package) (*index, error) {
	ix := &index{byName: map[string][]Package{}, provides: map[string][]Package{}}
	for _, p := range pkgs {
		ix.byName[p.Name] = append(ix.byName[p.Name], p)
	}
	for name, ps := range ix.byName {
		var err error
		sort.SliceStable(ps, func(i, j int) bool {
			c, e := compareVersions(ps[i].Version, ps[j].Version)
			if e != nil {
				err = e
			}
			return c > 0
		})
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", name, err)
		}
		// Provides of the candidate (newest) version only.
		if prov := ps[0].Provides; prov != "" {
			d, err := dependency.Parse(prov)
			if err != nil {
				return nil, fmt.Errorf("package %s: Provides: %w", name, err)
			}
			for _, r := range d.Relations {
				for _, p := range r.Possibilities {
					ix.provides[p.Name] = append(ix.provides[p.Name], ps[0])
				}
			}
		}
	}
	for _, ps := range ix.provides {
		sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	}
	return ix, nil
}

func compareVersions(a, b string) (int, error) {
	va, err := version.Parse(a)
	if err != nil {
		return 0, fmt.Errorf("version %q: %w", a, err)
	}
	vb, err := version.Parse(b)
	if err != nil {
		return 0, fmt.Errorf("version %q: %w", b, err)
	}
	return version.Compare(va, vb), nil
}

// satisfies reports whether version v meets the relation (nil: any version).
func satisfies(v string, rel *dependency.VersionRelation) bool {
	if rel == nil {
		return true
	}
	c, err := compareVersions(v, rel.Number)
	if err != nil {
		return false
	}
	switch rel.Operator {
	case "<<", "<":
		return c < 0
	case "<=":
		return c <= 0
	case "=":
		return c == 0
	case ">=":
		return c >= 0
	case ">>", ">":
		return c > 0
	}
	return false
}

// UnknownPackageError is returned for a package name no repository has.
type UnknownPackageError struct {
	Name, RequiredBy string
}

func (e *UnknownPackageError) Error() string {
	if e.RequiredBy == "" {
		return fmt.Sprintf("no package %q in the configured repositories", e.Name)
	}
	return fmt.Sprintf("no package %q (needed by %s) in the configured repositories", e.Name, e.RequiredBy)
}

// resolve returns the dependency closure of the requested packages (name,
// name=version, or a choice "name | name"; a name no package has is looked
// up in the Provides fields), sorted by name: Depends and Pre-Depends, the first
// satisfiable alternative of each relation unless a chosen package already
// satisfies another, virtual packages through Provides. The dependencies of
// leaves are not followed (a preset's curated packages, whose dependencies
// serve maintainer scripts or optional features).
func (ix *index) resolve(requested, leaves []string) ([]Package, error) {
	leaf := map[string]bool{}
	for _, l := range leaves {
		leaf[l] = true
	}
	chosen := map[string]Package{}
	var queue []Package
	add := func(p Package) {
		if _, ok := chosen[p.Name]; !ok {
			chosen[p.Name] = p
			queue = append(queue, p)
		}
	}
	for _, r := range requested {
		if strings.Contains(r, "|") {
			p, err := ix.requestedChoice(r)
			if err != nil {
				return nil, err
			}
			add(p)
			continue
		}
		name, ver, pinned := strings.Cut(r, "=")
		cands := ix.byName[name]
		if len(cands) == 0 && !pinned {
			p, err := ix.provider(name)
			if err != nil {
				return nil, err
			}
			add(p)
			continue
		}
		if len(cands) == 0 {
			return nil, &UnknownPackageError{Name: name}
		}
		if !pinned {
			add(cands[0])
			continue
		}
		found := false
		for _, c := range cands {
			if c.Version == ver {
				add(c)
				found = true
				break
			}
		}
		if !found {
			var have []string
			for _, c := range cands {
				have = append(have, c.Version)
			}
			return nil, fmt.Errorf("package %s has no version %s (available: %s)", name, ver, strings.Join(have, ", "))
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if leaf[p.Name] {
			continue
		}
		for _, field := range []struct{ name, value string }{{"Pre-Depends", p.PreDepends}, {"Depends", p.Depends}} {
			if field.value == "" {
				continue
			}
			d, err := dependency.Parse(field.value)
			if err != nil {
				return nil, fmt.Errorf("package %s: %s: %w", p, field.name, err)
			}
			for _, rel := range d.Relations {
				if ix.satisfied(rel, chosen) {
					continue
				}
				pick, err := ix.choose(rel)
				if err != nil {
					return nil, fmt.Errorf("package %s: %s %q: %w", p, field.name, relString(rel), err)
				}
				add(pick)
			}
		}
	}
	out := make([]Package, 0, len(chosen))
	for _, p := range chosen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// provider is the package that provides name when no package has that
// name: trixie's 64-bit time_t transition renamed libssl3 to libssl3t64,
// which Provides libssl3, so a list written for bookworm works there too.
// Like apt, it takes a sole provider and asks for a choice among several.
func (ix *index) provider(name string) (Package, error) {
	switch provs := ix.provides[name]; len(provs) {
	case 0:
		return Package{}, &UnknownPackageError{Name: name}
	case 1:
		return provs[0], nil
	default:
		var names []string
		for _, p := range provs {
			names = append(names, p.Name)
		}
		return Package{}, fmt.Errorf("package %q is virtual, provided by %s: name one", name, strings.Join(names, ", "))
	}
}

// requestedChoice resolves "a | b": the first alternative some package is,
// or provides (libssl3 in bookworm and trixie, libssl1.1 in bullseye).
func (ix *index) requestedChoice(r string) (Package, error) {
	var alts []string
	for _, a := range strings.Split(r, "|") {
		a = strings.TrimSpace(a)
		if a == "" || strings.Contains(a, "=") {
			return Package{}, fmt.Errorf("package choice %q: want NAME | NAME ..., with no versions", r)
		}
		alts = append(alts, a)
	}
	for _, a := range alts {
		if cands := ix.byName[a]; len(cands) > 0 {
			return cands[0], nil
		}
		if p, err := ix.provider(a); err == nil {
			return p, nil
		} else if _, unknown := err.(*UnknownPackageError); !unknown {
			return Package{}, err
		}
	}
	return Package{}, fmt.Errorf("no package %s in the configured repositories", strings.Join(alts, " or "))
}

func baseName(p dependency.Possibility) string {
	n, _, _ := strings.Cut(p.Name, ":") // "python3:any"
	return n
}

// satisfied: some alternative is met by a package already chosen.
func (ix *index) satisfied(rel dependency.Relation, chosen map[string]Package) bool {
	for _, poss := range rel.Possibilities {
		name := baseName(poss)
		if c, ok := chosen[name]; ok && satisfies(c.Version, poss.Version) {
			return true
		}
		if poss.Version == nil {
			for _, prov := range ix.provides[name] {
				if _, ok := chosen[prov.Name]; ok {
					return true
				}
			}
		}
	}
	return false
}

// choose picks the first alternative that some package can satisfy.
func (ix *index) choose(rel dependency.Relation) (Package, error) {
	var why []string
	for _, poss := range rel.Possibilities {
		name := baseName(poss)
		for _, c := range ix.byName[name] {
			if satisfies(c.Version, poss.Version) {
				return c, nil
			}
		}
		if provs := ix.provides[name]; len(provs) > 0 && poss.Version == nil {
			return provs[0], nil
		}
		switch cands := ix.byName[name]; {
		case len(cands) > 0:
			why = append(why, fmt.Sprintf("%s is at %s", name, cands[0].Version))
		default:
			why = append(why, fmt.Sprintf("no package %s", name))
		}
	}
	return Package{}, fmt.Errorf("cannot be satisfied (%s)", strings.Join(why, "; "))
}

func relString(r dependency.Relation) string {
	var alts []string
	for _, p := range r.Possibilities {
		s := p.Name
		if p.Version != nil {
			s += " (" + p.Version.Operator + " " + p.Version.Number + ")"
		}
		alts = append(alts, s)
	}
	return strings.Join(alts, " | ")
}
