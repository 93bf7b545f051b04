package java

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// reactor finds the multi-module build the pom belongs to: the topmost
// aggregator above it whose <modules> reach it. It returns every module's
// pom by g:a:v (empty when the pom stands alone).
func (l *loader) reactor(pom string) (map[string]string, error) {
	ws := map[string]string{}
	top := ""
	for dir := filepath.Dir(filepath.Dir(pom)); ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "pom.xml")
		if _, err := os.Stat(cand); err != nil {
			break
		}
		mods, err := l.modules(cand, 0)
		if err != nil {
			return nil, err
		}
		if contains(mods, pom) {
			top = cand
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	if top == "" {
		return ws, nil
	}
	mods, err := l.modules(top, 0)
	if err != nil {
		return nil, err
	}
	for _, mp := range append(mods, top) {
		m, err := l.load(mp)
		if err != nil {
			return nil, err
		}
		ws[m.GroupID+":"+m.ArtifactID+":"+m.Version] = mp
	}
	return ws, nil
}

// modules lists the poms of an aggregator's modules, recursively.
func (l *loader) modules(pom string, depth int) ([]string, error) {
	if depth > 10 {
		return nil, fmt.Errorf("%s: modules nested too deep", pom)
	}
	r, err := readPom(pom)
	if err != nil {
		return nil, err
	}
	if r.p.Modules == nil {
		return nil, nil
	}
	var out []string
	for _, m := range *r.p.Modules {
		p := filepath.Join(filepath.Dir(pom), strings.TrimSpace(m))
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			p = filepath.Join(p, "pom.xml")
		}
		if _, err := os.Stat(p); err != nil {
			return nil, &PomError{File: pom, Line: r.lineOf("<module>" + m + "</module>"), Msg: fmt.Sprintf("module %s: no %s", m, p)}
		}
		out = append(out, p)
		sub, err := l.modules(p, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// selectModule finds the module named by artifactId or directory in the
// aggregator m.
func (l *loader) selectModule(m *Model, name string) (string, error) {
	mods, err := l.modules(m.File, 0)
	if err != nil {
		return "", err
	}
	var names []string
	for _, p := range mods {
		mm, err := l.load(p)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(m.Dir, filepath.Dir(p))
		if mm.ArtifactID == name || rel == name || filepath.Base(rel) == name {
			return p, nil
		}
		if mm.Packaging != "pom" {
			names = append(names, rel)
		}
	}
	return "", &PomError{File: m.File, Msg: fmt.Sprintf("no module %q (modules: %s)", name, strings.Join(names, ", "))}
}

// moduleAt reports whether a classpath entry is a reactor module's output
// (its jar or classes directory), not an artifact of the local repository.
func (l *loader) moduleAt(p string) bool {
	for _, pom := range l.workspace {
		m, err := l.load(pom)
		if err == nil && (strings.HasPrefix(p, m.BuildDirectory+string(filepath.Separator)) || p == m.OutputDirectory) {
			return true
		}
	}
	return false
}

// workspacePoms lists the reactor's poms, which a cached analysis depends on.
func (l *loader) workspacePoms() []string {
	var out []string
	for _, p := range l.workspace {
		out = append(out, p)
	}
	return out
}
