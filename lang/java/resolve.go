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
	dep      Dep
	declared string // scope as declared (after management), "" = compile
	depth    int
	parent   *node
	excl     []Exclusion
	mgmt     map[string]Dep // management that applies below this node
	kids     []*node
	winner   bool
	losers   []*node // other occurrences of the same conflict key, for scope choice
	scope    string  // final scope
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

// deriveScope is Maven's scope of a transitive dependency from its parent's.
func deriveScope(parent, child string) string {
	if child == "" {
		child = "compile"
	}
	switch parent {
	case "test", "provided":
		return parent
	case "runtime":
		if child == "compile" {
			return "runtime"
		}
	}
	return child
}

// widest is Maven's choice among the scopes a dependency is reached with.
func widest(scopes []string) string {
	for _, s := range []string{"compile", "runtime", "system", "provided", "test"} {
		for _, x := range scopes {
			if x == s {
				return s
			}
		}
	}
	return "compile"
}

// unsupportedError asks for Maven's own resolution.
type unsupportedError struct{ what []string }

func (e *unsupportedError) Error() string {
	return "the native resolver does not handle " + strings.Join(e.what, ", ")
}

// resolve computes the runtime classpath of the project model with Maven's
// rules: a breadth-first walk where the nearest occurrence of each artifact
// wins (the first declared on a tie), test and provided dependencies take
// part in that mediation (their subtrees too) but their scope then decides,
// optional and test/provided dependencies of dependencies are not
// transitive, exclusions apply to whole subtrees, the project's dependency
// management (and, below each direct dependency, that dependency's own)
// overrides versions and scopes from depth 2 on, and the result is listed in
// the resolved tree's pre-order, as Maven's classpath is.
func (l *loader) resolve(root *Model) ([]Artifact, []string, error) {
	var files []string // every pom read, for the cache key
	files = append(files, root.Files...)
	if len(root.Unsupported) > 0 {
		return nil, files, &unsupportedError{root.Unsupported}
	}
	top := &node{depth: 0, mgmt: root.Managed}
	queue := make([]*node, 0, len(root.Dependencies))
	for _, d := range root.Dependencies {
		n := &node{dep: d, declared: or(d.Scope, "compile"), depth: 1, parent: top, excl: d.Exclusions, mgmt: root.Managed}
		top.kids = append(top.kids, n)
		queue = append(queue, n)
	}
	decided := map[string]*node{}
	var order []*node
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		k := conflictKey(n.dep)
		if w, ok := decided[k]; ok {
			w.losers = append(w.losers, n)
			continue
		}
		decided[k] = n
		n.winner = true
		order = append(order, n)
		if n.declared == "system" {
			continue
		}
		m, err := l.depModel(n)
		if err != nil {
			return nil, files, err
		}
		files = append(files, m.Files...)
		if len(m.Unsupported) > 0 {
			return nil, files, &unsupportedError{m.Unsupported}
		}
		mgmt := n.mgmt
		if n.depth == 1 && len(m.Managed) > 0 {
			// Below a direct dependency, its own management applies too,
			// after the project's.
			mgmt = make(map[string]Dep, len(root.Managed)+len(m.Managed))
			for k, v := range m.Managed {
				mgmt[k] = v
			}
			for k, v := range root.Managed {
				mgmt[k] = v
			}
		}
		for _, d := range m.Dependencies {
			if d.Scope == "test" || d.Scope == "provided" || d.Scope == "system" || d.Optional {
				continue
			}
			if excluded(n.excl, d) {
				continue
			}
			excl := append(append([]Exclusion{}, n.excl...), d.Exclusions...)
			if md, ok := n.mgmt[d.key()]; ok {
				if md.Version != "" {
					d.Version = md.Version
				}
				if md.Scope != "" {
					d.Scope = md.Scope
				}
				excl = append(excl, md.Exclusions...)
			}
			if isRange(d.Version) {
				return nil, files, &unsupportedError{[]string{"version range " + d.String() + " (in " + m.File + ")"}}
			}
			c := &node{dep: d, declared: or(d.Scope, "compile"), depth: n.depth + 1, parent: n, excl: excl, mgmt: mgmt}
			n.kids = append(n.kids, c)
			queue = append(queue, c)
		}
	}
	// Final scopes, parents before children: a direct dependency keeps its
	// declared scope; others take the widest scope they are reached with.
	for _, w := range order {
		if w.depth == 1 {
			w.scope = w.declared
			continue
		}
		scopes := []string{deriveScope(w.parent.scope, w.declared)}
		for _, o := range w.losers {
			if o.depth == 1 {
				continue
			}
			scopes = append(scopes, deriveScope(o.parent.scope, o.declared))
		}
		w.scope = widest(scopes)
	}
	var out []Artifact
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.kids {
			if !c.winner {
				continue
			}
			if c.scope == "compile" || c.scope == "runtime" {
				if c.dep.typ() != "pom" {
					ext, cls := extension(c.dep)
					a := Artifact{GroupID: c.dep.GroupID, ArtifactID: c.dep.ArtifactID, Version: c.dep.Version,
						Type: c.dep.typ(), Classifier: cls, Scope: c.scope,
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

// depModel loads the effective pom of a dependency, following relocations.
func (l *loader) depModel(n *node) (*Model, error) {
	if wm := l.workspaceModel(n.dep); wm != nil {
		return wm, nil
	}
	for hops := 0; hops < 5; hops++ {
		d := n.dep
		m, err := l.load(l.repoPath(d.GroupID, d.ArtifactID, d.Version, "", "pom"))
		if err != nil {
			if errors.Is(err, ErrMissing) {
				return nil, fmt.Errorf("pom of %s: %w", d, err)
			}
			return nil, err
		}
		r := m.Relocation
		if r == nil || (r.GroupID == d.GroupID && r.ArtifactID == d.ArtifactID && r.Version == d.Version) {
			return m, nil
		}
		n.dep.GroupID, n.dep.ArtifactID, n.dep.Version = r.GroupID, r.ArtifactID, r.Version
	}
	return nil, fmt.Errorf("%s: too many relocations", n.dep)
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
