package java

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Artifact is a resolved dependency on the runtime classpath.
type Artifact struct {
	GroupID, ArtifactID, Version, Type, Classifier string
	Scope                                          string
	// Optional is set for a direct dependency the project declares optional.
	Optional bool `json:",omitempty"`
	// File is the artifact in the local repository (or a system path); for
	// a reactor module, its jar, or its classes directory when not packaged.
	File string
	// Module is set for a module of the same reactor (a project dependency).
	Module bool
}

// Snapshot reports whether the artifact is a SNAPSHOT version.
func (a Artifact) Snapshot() bool {
	return strings.HasSuffix(a.Version, "-SNAPSHOT") || timestamped(a.Version)
}

func timestamped(v string) bool {
	// 1.0-20240101.123456-7
	parts := strings.Split(v, "-")
	return len(parts) >= 3 && len(parts[len(parts)-2]) == 15 && parts[len(parts)-2][8] == '.'
}

func (a Artifact) String() string {
	return Dep{GroupID: a.GroupID, ArtifactID: a.ArtifactID, Version: a.Version, Type: a.Type, Classifier: a.Classifier}.String()
}

// node is one occurrence of a dependency in the graph.
type node struct {
	dep Dep
	// declared is the scope as declared, after management ("" = compile);
	// managedScope says management set it, and then it is not derived
	// from the parent's.
	declared     string
	managedScope bool
	depth        int
	parent       *node
	excl         []Exclusion
	kids         []*node
	group        *group
}

// group is a conflict group: every occurrence of one artifact (groupId,
// artifactId, extension, classifier), in the order Maven meets them.
type group struct {
	items  []*node
	winner *node
	scope  string // final scope, "" until chosen
	busy   bool   // being chosen (a cycle)
}

func conflictKey(d Dep) string {
	ext, cls := extension(d)
	return d.GroupID + ":" + d.ArtifactID + ":" + ext + ":" + cls
}

// extension and classifier of a dependency's file, from its type, as Maven's
// artifact handlers map them.
func extension(d Dep) (string, string) {
	switch d.typ() {
	case "jar", "ejb", "maven-plugin", "bundle":
		return "jar", d.Classifier
	case "test-jar":
		return "jar", or(d.Classifier, "tests")
	case "ejb-client":
		return "jar", or(d.Classifier, "client")
	case "java-source":
		return "jar", or(d.Classifier, "sources")
	case "javadoc":
		return "jar", or(d.Classifier, "javadoc")
	}
	return d.typ(), d.Classifier
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func excluded(ex []Exclusion, d Dep) bool {
	for _, e := range ex {
		if (e.GroupID == "*" || e.GroupID == d.GroupID) && (e.ArtifactID == "*" || e.ArtifactID == d.ArtifactID) {
			return true
		}
	}
	return false
}

// deriveScope is Maven's scope of a dependency reached through a parent of
// the given scope (maven-resolver's JavaScopeDeriver).
func deriveScope(parent, child string) string {
	switch {
	case child == "system" || child == "test":
		return child
	case parent == "" || parent == "compile":
		return child
	case parent == "test" || parent == "runtime":
		return parent
	case parent == "system" || parent == "provided":
		return "provided"
	}
	return "runtime"
}

// widest is Maven's choice among the scopes a dependency is reached with
// (maven-resolver's JavaScopeSelector): system only when it is the only one,
// then compile, runtime, provided, test.
func widest(scopes map[string]bool) string {
	if len(scopes) > 1 {
		delete(scopes, "system")
	}
	if len(scopes) == 1 {
		for s := range scopes {
			return s
		}
	}
	for _, s := range []string{"compile", "runtime", "provided", "test"} {
		if scopes[s] {
			return s
		}
	}
	return "compile"
}

// unsupportedError asks for Maven's own resolution.
type unsupportedError struct{ what []string }

func (e *unsupportedError) Error() string {
	return "the native resolver does not handle " + strings.Join(e.what, ", ")
}

// resolve computes the runtime classpath of the project model as Maven 3.9
// (maven-resolver 1.9) does:
//   - the graph is walked breadth first; each conflict group (groupId,
//     artifactId, extension, classifier) is won by its nearest occurrence,
//     the first declared on a tie, and only winners are expanded;
//   - test, provided and optional dependencies of dependencies are left
//     out (the declared scope counts, before management), exclusions apply
//     to whole subtrees, and a relocated artifact is replaced by its target;
//   - the project's dependency management (not its dependencies') sets
//     versions and scopes from depth 2 on, and adds exclusions at every
//     depth;
//   - version ranges take the highest version the repository metadata
//     lists in the range;
//   - a winner's scope is its declared one when it is a direct dependency,
//     else the widest of the scopes of all its occurrences, each derived
//     from its parent's final scope (parents are settled first, so a
//     losing occurrence under a test dependency counts as test), unless
//     management set it;
//   - the classpath is the compile and runtime winners in the resolved
//     tree's pre-order.
func (l *loader) resolve(root *Model) ([]Artifact, []string, error) {
	files := append([]string(nil), root.Files...)
	if len(root.Unsupported) > 0 {
		return nil, files, &unsupportedError{root.Unsupported}
	}
	mgmt := transitiveManagement(root)
	top := &node{}
	var queue []*node
	for _, d := range root.Dependencies {
		if md, ok := mgmt[conflictKey(d)]; ok && len(md.Exclusions) > 0 {
			d.Exclusions = append(append([]Exclusion{}, d.Exclusions...), md.Exclusions...)
		}
		n := &node{dep: d, declared: or(d.Scope, "compile"), depth: 1, parent: top, excl: d.Exclusions}
		top.kids = append(top.kids, n)
		queue = append(queue, n)
		if !isRange(d.Version) && n.declared != "system" {
			l.raws.prefetch(l, l.repoPath(d.GroupID, d.ArtifactID, d.Version, "", "pom"))
		}
	}
	groups := map[string]*group{}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		drop, fs, err := l.settle(n, mgmt)
		files = append(files, fs...)
		if err != nil {
			return nil, files, err
		}
		if drop {
			n.parent.kids = remove(n.parent.kids, n)
			continue
		}
		k := conflictKey(n.dep)
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
		}
		n.group = g
		g.items = append(g.items, n)
		if g.winner != nil {
			continue
		}
		g.winner = n
		if n.declared == "system" || n.dep.SystemPath != "" {
			continue // no descriptor: not traversed
		}
		m, err := l.depModel(n.dep)
		if err != nil {
			return nil, files, err
		}
		files = append(files, m.Files...)
		if len(m.Unsupported) > 0 {
			return nil, files, &unsupportedError{m.Unsupported}
		}
		for _, d := range m.Dependencies {
			if d.Scope == "test" || d.Scope == "provided" || d.Optional || excluded(n.excl, d) {
				continue
			}
			c := &node{dep: d, declared: or(d.Scope, "compile"), depth: n.depth + 1, parent: n}
			l.manage(c, mgmt, true)
			n.kids = append(n.kids, c)
			queue = append(queue, c)
			if !isRange(c.dep.Version) && c.declared != "system" {
				l.raws.prefetch(l, l.repoPath(c.dep.GroupID, c.dep.ArtifactID, c.dep.Version, "", "pom"))
			}
		}
	}
	for _, n := range top.kids {
		finalScope(n.group)
	}

	var out []Artifact
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.kids {
			if c.group.winner != c {
				continue
			}
			if s := finalScope(c.group); (s == "compile" || s == "runtime") && c.dep.typ() != "pom" {
				ext, cls := extension(c.dep)
				a := Artifact{GroupID: c.dep.GroupID, ArtifactID: c.dep.ArtifactID, Version: c.dep.Version,
					Type: c.dep.typ(), Classifier: cls, Scope: s, Optional: c.depth == 1 && c.dep.Optional,
					File: l.repoPath(c.dep.GroupID, c.dep.ArtifactID, c.dep.Version, cls, ext)}
				if wm := l.workspaceModel(c.dep); wm != nil {
					a.Module = true
					a.File = filepath.Join(wm.BuildDirectory, wm.FinalName+"."+ext)
					if _, err := os.Stat(a.File); err != nil {
						a.File = wm.OutputDirectory
					}
				}
				out = append(out, a)
			}
			walk(c)
		}
	}
	walk(top)
	var missing []string
	for _, a := range out {
		if _, err := os.Stat(a.File); err != nil {
			missing = append(missing, a.String())
		}
	}
	if len(missing) > 0 {
		return nil, files, fmt.Errorf("%s: %w", strings.Join(missing, ", "), ErrMissing)
	}
	return out, files, nil
}

// transitiveManagement is the project's dependency management as
// maven-resolver applies it below the direct dependencies: keyed by
// artifact (groupId, artifactId, extension, classifier), the first entry
// for a key winning.
func transitiveManagement(root *Model) map[string]Dep {
	out := make(map[string]Dep, len(root.ManagedOrder))
	for _, k := range root.ManagedOrder {
		d := root.Managed[k]
		ck := conflictKey(d)
		prev, seen := out[ck]
		if !seen {
			out[ck] = d
			continue
		}
		// Each attribute is taken from the first entry that has it;
		// exclusions add up.
		if prev.Version == "" {
			prev.Version = d.Version
		}
		if prev.Scope == "" {
			prev.Scope = d.Scope
		}
		prev.Exclusions = append(append([]Exclusion{}, prev.Exclusions...), d.Exclusions...)
		out[ck] = prev
	}
	return out
}

// manage applies the project's management to a transitive dependency:
// version and scope (unless disabled after a relocation within the same
// groupId and artifactId), and exclusions added to its own.
func (l *loader) manage(c *node, mgmt map[string]Dep, versions bool) {
	c.excl = append(append([]Exclusion{}, c.parent.excl...), c.dep.Exclusions...)
	md, ok := mgmt[conflictKey(c.dep)]
	if !ok {
		return
	}
	if versions && md.Version != "" {
		c.dep.Version = md.Version
	}
	if md.Scope != "" {
		c.dep.Scope, c.declared, c.managedScope = md.Scope, md.Scope, true
	}
	c.excl = append(c.excl, md.Exclusions...)
}

// settle gives an occurrence its version (a range resolved from the
// repository's metadata) and follows relocations, which Maven applies
// before conflict resolution: the relocated artifact is selected, excluded
// and managed again under its new coordinates.
func (l *loader) settle(n *node, mgmt map[string]Dep) (drop bool, files []string, err error) {
	for hops := 0; ; hops++ {
		if hops > 5 {
			return false, files, fmt.Errorf("%s: too many relocations", n.dep)
		}
		if isRange(n.dep.Version) {
			v, fs, err := l.resolveRange(n.dep.GroupID, n.dep.ArtifactID, n.dep.Version)
			files = append(files, fs...)
			if err != nil {
				return false, files, fmt.Errorf("%s: %w", n.dep, err)
			}
			n.dep.Version = v
		}
		if n.declared == "system" || n.dep.SystemPath != "" || l.workspaceModel(n.dep) != nil {
			return false, files, nil
		}
		d := n.dep
		m, err := l.load(l.repoPath(d.GroupID, d.ArtifactID, d.Version, "", "pom"))
		if err != nil {
			if errors.Is(err, ErrMissing) {
				return false, files, fmt.Errorf("pom of %s: %w", d, err)
			}
			return false, files, err
		}
		r := m.Relocation
		if r == nil || (r.GroupID == d.GroupID && r.ArtifactID == d.ArtifactID && r.Version == d.Version) {
			return false, files, nil
		}
		files = append(files, m.Files...)
		sameGA := r.GroupID == d.GroupID && r.ArtifactID == d.ArtifactID
		n.dep.GroupID, n.dep.ArtifactID, n.dep.Version = r.GroupID, r.ArtifactID, r.Version
		if n.depth > 1 {
			if excluded(n.parent.excl, n.dep) {
				return true, files, nil // excluded under its new name
			}
			l.manage(n, mgmt, !sameGA)
		}
	}
}

func remove(ns []*node, n *node) []*node {
	for i, x := range ns {
		if x == n {
			return append(ns[:i:i], ns[i+1:]...)
		}
	}
	return ns
}

// finalScope chooses a conflict group's scope once its parents' are known
// (maven-resolver settles conflict groups parents first).
func finalScope(g *group) string {
	if g.scope != "" {
		return g.scope
	}
	w := g.winner
	if w.declared == "system" {
		g.scope = "system"
		return g.scope
	}
	g.busy = true
	scopes := map[string]bool{}
	for _, it := range g.items {
		if it.depth <= 1 {
			g.scope, g.busy = it.declared, false
			return g.scope
		}
		scopes[itemScope(it)] = true
	}
	g.scope, g.busy = widest(scopes), false
	return g.scope
}

// itemScope is an occurrence's scope: set by management, or derived from
// its parent's final scope (or, within a cycle of groups, the parent's
// scope along its own path).
func itemScope(n *node) string {
	if n.managedScope || n.depth <= 1 {
		return n.declared
	}
	p := n.parent.group
	var ps string
	if p.busy {
		ps = pathScope(n.parent)
	} else {
		ps = finalScope(p)
	}
	return deriveScope(ps, n.declared)
}

func pathScope(n *node) string {
	if n.managedScope || n.depth <= 1 {
		return n.declared
	}
	return deriveScope(pathScope(n.parent), n.declared)
}

// depModel loads the effective pom of a (settled) dependency.
func (l *loader) depModel(d Dep) (*Model, error) {
	if wm := l.workspaceModel(d); wm != nil {
		return wm, nil
	}
	m, err := l.load(l.repoPath(d.GroupID, d.ArtifactID, d.Version, "", "pom"))
	if err != nil && errors.Is(err, ErrMissing) {
		return nil, fmt.Errorf("pom of %s: %w", d, err)
	}
	return m, err
}

// workspaceModel returns the reactor module d names, if it is one.
func (l *loader) workspaceModel(d Dep) *Model {
	p, ok := l.workspace[d.GroupID+":"+d.ArtifactID+":"+d.Version]
	if !ok {
		return nil
	}
	m, err := l.load(p)
	if err != nil {
		return nil
	}
	return m
}
