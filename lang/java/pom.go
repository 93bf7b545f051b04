package java

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vifraa/gopom"
	"golang.org/x/text/encoding/htmlindex"
)

// Dep is a dependency as a pom declares it, interpolated.
type Dep struct {
	GroupID, ArtifactID, Version string
	Type, Classifier, Scope      string
	Optional                     bool
	Exclusions                   []Exclusion
	SystemPath                   string
}

// Exclusion of a dependency's subtree; "*" matches anything.
type Exclusion struct{ GroupID, ArtifactID string }

// key is Maven's dependency management key.
func (d Dep) key() string {
	return d.GroupID + ":" + d.ArtifactID + ":" + d.typ() + ":" + d.Classifier
}

func (d Dep) typ() string {
	if d.Type == "" {
		return "jar"
	}
	return d.Type
}

func (d Dep) String() string {
	s := d.GroupID + ":" + d.ArtifactID
	if d.typ() != "jar" || d.Classifier != "" {
		s += ":" + d.typ()
	}
	if d.Classifier != "" {
		s += ":" + d.Classifier
	}
	return s + ":" + d.Version
}

// Model is a pom's effective model, as far as langbuild needs it: the
// parent chain applied, properties interpolated, dependency management
// merged with imported BOMs.
type Model struct {
	GroupID, ArtifactID, Version, Packaging string
	// File is the pom's path; Dir its directory.
	File, Dir string
	// Properties, the parent's overridden by the child's, plus project.*.
	Properties map[string]string
	// Dependencies in declaration order (the parent's first).
	Dependencies []Dep
	// Managed by key (groupId:artifactId:type:classifier), with Order the
	// declaration order.
	Managed      map[string]Dep
	ManagedOrder []string
	Modules      []string
	// OutputDirectory and FinalName of the build (defaults target/classes,
	// artifactId-version).
	OutputDirectory, BuildDirectory, FinalName string
	// Relocation, when the pom says the artifact moved.
	Relocation *Dep
	// Files lists every pom read to build this model (this, parents, BOMs).
	Files []string
	// Plugins' configuration trees, from this pom and its parents (nearest first).
	Plugins []*Node
	// Unsupported lists features the native resolver does not handle (a
	// profile it cannot evaluate that changes dependencies, a version range).
	Unsupported []string
}

// PomError is a problem in a pom, with its file and, where known, line.
type PomError struct {
	File string
	Line int
	Msg  string
	Err  error // what it wraps, if anything (ErrMissing for a missing parent)
}

func (e *PomError) Unwrap() error { return e.Err }

func (e *PomError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ErrMissing is returned (wrapped) when a pom or artifact is not in the local repository.
var ErrMissing = errors.New("not in the local Maven repository")

// loader reads and caches effective models.
type loader struct {
	repo   string            // local repository
	env    map[string]string // environment, for ${env.X}
	sys    map[string]string // system properties (java.version, os.name...)
	models map[string]*Model // by pom path
	// workspace maps g:a:v of the reactor's modules to their poms: such a
	// dependency is a project dependency, read from its directory.
	workspace map[string]string
}

func newLoader(repo string, env []string, sys map[string]string) *loader {
	l := &loader{repo: repo, env: map[string]string{}, sys: sys, models: map[string]*Model{}}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			l.env[k] = v
		}
	}
	return l
}

// repoPath is where the local repository keeps g:a:v's file with this extension and classifier.
func (l *loader) repoPath(g, a, v, classifier, ext string) string {
	name := a + "-" + v
	if classifier != "" {
		name += "-" + classifier
	}
	return filepath.Join(l.repo, filepath.FromSlash(strings.ReplaceAll(g, ".", "/")), a, v, name+"."+ext)
}

// raw is a parsed pom before inheritance.
type raw struct {
	file string
	src  []byte
	p    *gopom.Project
	tree *Node
}

func readPom(file string) (*raw, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s: %w", file, ErrMissing)
		}
		return nil, err
	}
	src, err = toUTF8(src)
	if err != nil {
		return nil, &PomError{File: file, Line: 1, Msg: err.Error()}
	}
	if tree, err := parseTree(src); err == nil && tree.Name != "project" {
		return nil, &PomError{File: file, Line: 1, Msg: "not a Maven pom: the root element is <" + tree.Name + ">, not <project>"}
	}
	p, err := gopom.ParseFromReader(bytes.NewReader(src))
	if err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, &PomError{File: file, Line: se.Line, Msg: "malformed XML: " + se.Msg}
		}
		return nil, &PomError{File: file, Msg: "malformed pom: " + err.Error()}
	}

	tree, err := parseTree(src)
	if err != nil {
		return nil, &PomError{File: file, Msg: err.Error()}
	}
	return &raw{file: file, src: src, p: p, tree: tree}, nil
}

var xmlDecl = regexp.MustCompile(`^\s*<\?xml[^>]*encoding=["']([^"']+)["']`)

// toUTF8 transcodes a pom that declares another encoding (many older poms
// in Maven Central say ISO-8859-1), since encoding/xml reads only UTF-8.
func toUTF8(src []byte) ([]byte, error) {
	m := xmlDecl.FindSubmatchIndex(src)
	if m == nil {
		return src, nil
	}
	name := strings.ToLower(string(src[m[2]:m[3]]))
	if name == "utf-8" || name == "utf8" {
		return src, nil
	}
	enc, err := htmlindex.Get(name)
	if err != nil {
		return nil, fmt.Errorf("unknown XML encoding %q", name)
	}
	out, err := enc.NewDecoder().Bytes(src)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", name, err)
	}
	return xmlDecl.ReplaceAllFunc(out, func(decl []byte) []byte {
		return bytes.Replace(decl, src[m[2]:m[3]], []byte("UTF-8"), 1)
	}), nil
}

// lineOf finds the first line of the file that contains s, for messages.
func (r *raw) lineOf(s string) int {
	i := bytes.Index(r.src, []byte(s))
	if i < 0 {
		return 0
	}
	return bytes.Count(r.src[:i], []byte("\n")) + 1
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// load returns the effective model of the pom at file. fromRepo says the pom
// is in the local repository (its parent is looked up there only).
func (l *loader) load(file string) (*Model, error) {
	if m, ok := l.models[file]; ok {
		return m, nil
	}
	r, err := readPom(file)
	if err != nil {
		return nil, err
	}
	m := &Model{File: file, Dir: filepath.Dir(file), Properties: map[string]string{}, Managed: map[string]Dep{}, Files: []string{file}}
	var parent *Model
	if pp := r.p.Parent; pp != nil {
		parent, err = l.loadParent(r, pp)
		if err != nil {
			return nil, err
		}
		m.Files = append(m.Files, parent.Files...)
		for k, v := range parent.Properties {
			m.Properties[k] = v
		}
		m.GroupID, m.Version = parent.GroupID, parent.Version
	}
	if g := str(r.p.GroupID); g != "" {
		m.GroupID = g
	}
	if v := str(r.p.Version); v != "" {
		m.Version = v
	}
	m.ArtifactID = str(r.p.ArtifactID)
	m.Packaging = str(r.p.Packaging)
	if m.Packaging == "" {
		m.Packaging = "jar"
	}
	if m.ArtifactID == "" {
		return nil, &PomError{File: file, Line: r.lineOf("<project"), Msg: "no <artifactId>"}
	}
	if r.p.Properties != nil {
		for k, v := range r.p.Properties.Entries {
			m.Properties[k] = strings.TrimSpace(v)
		}
	}
	active, err := l.activeProfiles(r, m)
	if err != nil {
		return nil, err
	}
	for _, pr := range active {
		if pr.Properties != nil {
			for k, v := range pr.Properties.Entries {
				m.Properties[k] = strings.TrimSpace(v)
			}
		}
	}
	if r.p.Modules != nil {
		m.Modules = *r.p.Modules
	}
	m.Properties["project.groupId"] = m.GroupID
	m.Properties["project.artifactId"] = m.ArtifactID
	m.Properties["project.version"] = m.Version
	m.Properties["project.packaging"] = m.Packaging
	m.Properties["project.basedir"] = m.Dir
	m.Properties["basedir"] = m.Dir
	if parent != nil {
		m.Properties["project.parent.groupId"] = parent.GroupID
		m.Properties["project.parent.artifactId"] = parent.ArtifactID
		m.Properties["project.parent.version"] = parent.Version
	}
	// Poms in the repository may use properties only their own builds
	// define (os-maven-plugin's ${os.detected.classifier}, say); Maven leaves
	// those as they are, and so do we. The project's own poms must be whole.
	in := &interp{l: l, m: m, r: r, lenient: strings.HasPrefix(file, l.repo+string(filepath.Separator))}
	for _, f := range []*string{&m.GroupID, &m.Version} {
		if *f, err = in.expand(*f); err != nil {
			return nil, err
		}
	}
	m.Properties["project.groupId"], m.Properties["project.version"] = m.GroupID, m.Version

	// Build directories.
	m.BuildDirectory = filepath.Join(m.Dir, "target")
	m.OutputDirectory = filepath.Join(m.BuildDirectory, "classes")
	m.FinalName = m.ArtifactID + "-" + m.Version
	if b := r.p.Build; b != nil {
		if d := str(b.Directory); d != "" {
			if d, err = in.expand(d); err != nil {
				return nil, err
			}
			m.BuildDirectory = abs(m.Dir, d)
			m.OutputDirectory = filepath.Join(m.BuildDirectory, "classes")
		}
		if d := str(b.OutputDirectory); d != "" {
			if d, err = in.expand(d); err != nil {
				return nil, err
			}
			m.OutputDirectory = abs(m.Dir, d)
		}
		if f := str(b.FinalName); f != "" {
			if m.FinalName, err = in.expand(f); err != nil {
				return nil, err
			}
		}
	}

	// Dependency management: own entries, then imported BOMs, then the parent's.
	var ownManaged []gopom.Dependency
	if dm := r.p.DependencyManagement; dm != nil && dm.Dependencies != nil {
		ownManaged = append(ownManaged, *dm.Dependencies...)
	}
	for _, pr := range active {
		if pr.DependencyManagement != nil && pr.DependencyManagement.Dependencies != nil {
			ownManaged = append(ownManaged, *pr.DependencyManagement.Dependencies...)
		}
	}
	var imports []Dep
	for _, gd := range ownManaged {
		d, err := in.dep(gd)
		if err != nil {
			return nil, err
		}
		if d.Scope == "import" && d.typ() == "pom" {
			imports = append(imports, d)
			continue
		}
		m.manage(d)
	}
	for _, imp := range imports {
		if isRange(imp.Version) {
			m.Unsupported = append(m.Unsupported, "BOM import with version range "+imp.String())
			continue
		}
		bom, err := l.load(l.repoPath(imp.GroupID, imp.ArtifactID, imp.Version, "", "pom"))
		if err != nil {
			return nil, fmt.Errorf("%s: importing BOM %s: %w", file, imp, err)
		}
		m.Files = append(m.Files, bom.Files...)
		for _, k := range bom.ManagedOrder {
			if _, ok := m.Managed[k]; !ok {
				m.manage(bom.Managed[k])
			}
		}
		m.Unsupported = append(m.Unsupported, bom.Unsupported...)
	}
	if parent != nil {
		for _, k := range parent.ManagedOrder {
			if _, ok := m.Managed[k]; !ok {
				m.manage(parent.Managed[k])
			}
		}
		m.Unsupported = append(m.Unsupported, parent.Unsupported...)
	}

	// Dependencies: the parent's, overridden by own ones with the same key.
	var own []gopom.Dependency
	if r.p.Dependencies != nil {
		own = append(own, *r.p.Dependencies...)
	}
	for _, pr := range active {
		if pr.Dependencies != nil {
			own = append(own, *pr.Dependencies...)
		}
	}
	mine := map[string]bool{}
	var ownDeps []Dep
	for _, gd := range own {
		d, err := in.dep(gd)
		if err != nil {
			return nil, err
		}
		mine[d.key()] = true
		ownDeps = append(ownDeps, d)
	}
	if parent != nil {
		for _, d := range parent.Dependencies {
			if !mine[d.key()] {
				m.Dependencies = append(m.Dependencies, d)
			}
		}
	}
	for _, d := range ownDeps {
		if d.Version == "" || d.Scope == "" {
			if md, ok := m.Managed[d.key()]; ok {
				if d.Version == "" {
					d.Version = md.Version
				}
				if d.Scope == "" {
					d.Scope = md.Scope
				}
				if len(d.Exclusions) == 0 {
					d.Exclusions = md.Exclusions
				}
			}
		}
		if d.Version == "" && d.Scope != "system" {
			return nil, &PomError{File: file, Line: r.lineOf("<artifactId>" + d.ArtifactID + "</artifactId>"),
				Msg: fmt.Sprintf("dependency %s:%s has no version and none is managed", d.GroupID, d.ArtifactID)}
		}
		if isRange(d.Version) {
			m.Unsupported = append(m.Unsupported, "version range "+d.String())
		}
		m.Dependencies = append(m.Dependencies, d)
	}

	if dm := r.p.DistributionManagement; dm != nil && dm.Relocation != nil {
		rel := Dep{GroupID: str(dm.Relocation.GroupID), ArtifactID: str(dm.Relocation.ArtifactID), Version: str(dm.Relocation.Version)}
		if rel.GroupID == "" {
			rel.GroupID = m.GroupID
		}
		if rel.ArtifactID == "" {
			rel.ArtifactID = m.ArtifactID
		}
		if rel.Version == "" {
			rel.Version = m.Version
		}
		m.Relocation = &rel
	}
	if b := r.tree.child("build"); b != nil {
		m.Plugins = append(m.Plugins, b.children("plugins", "plugin")...)
		m.Plugins = append(m.Plugins, b.children("pluginManagement", "plugins", "plugin")...)
	}
	if parent != nil {
		m.Plugins = append(m.Plugins, parent.Plugins...)
	}
	l.models[file] = m
	return m, nil
}

func (m *Model) manage(d Dep) {
	if _, ok := m.Managed[d.key()]; !ok {
		m.ManagedOrder = append(m.ManagedOrder, d.key())
	}
	m.Managed[d.key()] = d
}

func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func isRange(v string) bool { return strings.ContainsAny(v, "[(,") }

// loadParent finds the parent: at relativePath (default ../pom.xml) when
// that pom is the one named, else in the local repository.
func (l *loader) loadParent(r *raw, pp *gopom.Parent) (*Model, error) {
	g, a, v := str(pp.GroupID), str(pp.ArtifactID), str(pp.Version)
	if g == "" || a == "" || v == "" {
		return nil, &PomError{File: r.file, Line: r.lineOf("<parent>"), Msg: "<parent> needs groupId, artifactId and version"}
	}
	rel := "../pom.xml"
	if pp.RelativePath != nil {
		rel = strings.TrimSpace(*pp.RelativePath)
	}
	if rel != "" && !strings.HasPrefix(r.file, l.repo+string(filepath.Separator)) {
		cand := filepath.Join(filepath.Dir(r.file), rel)
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
			cand = filepath.Join(cand, "pom.xml")
		}
		if pr, err := readPom(cand); err == nil {
			pg := str(pr.p.GroupID)
			if pg == "" && pr.p.Parent != nil {
				pg = str(pr.p.Parent.GroupID)
			}
			pv := str(pr.p.Version)
			if pv == "" && pr.p.Parent != nil {
				pv = str(pr.p.Parent.Version)
			}
			if pg == g && str(pr.p.ArtifactID) == a && (pv == v || strings.Contains(pv, "${")) {
				return l.load(cand)
			}
		}
	}
	m, err := l.load(l.repoPath(g, a, v, "", "pom"))
	if errors.Is(err, ErrMissing) {
		return nil, &PomError{File: r.file, Line: r.lineOf("<parent>"), Err: ErrMissing,
			Msg: fmt.Sprintf("parent %s:%s:%s is neither at %s nor in the local repository %s", g, a, v, rel, l.repo)}
	}
	return m, err
}

// interp expands ${...} in a pom's values.
type interp struct {
	l       *loader
	m       *Model
	r       *raw
	lenient bool
}

var placeholder = regexp.MustCompile(`\$\{([^}]+)\}`)

func (in *interp) expand(s string) (string, error) {
	for depth := 0; strings.Contains(s, "${"); depth++ {
		if depth > 20 {
			return "", &PomError{File: in.r.file, Line: in.r.lineOf(s), Msg: fmt.Sprintf("property cycle in %q", s)}
		}
		var missing string
		s = placeholder.ReplaceAllStringFunc(s, func(ph string) string {
			name := ph[2 : len(ph)-1]
			if v, ok := in.lookup(name); ok {
				return v
			}
			if missing == "" {
				missing = name
			}
			return ph
		})
		if missing != "" && in.lenient {
			return s, nil
		}
		if missing != "" {
			return "", &PomError{File: in.r.file, Line: in.r.lineOf("${" + missing + "}"),
				Msg: fmt.Sprintf("${%s} is not defined: set it in <properties> (or the parent's)", missing)}
		}
	}
	return s, nil
}

func (in *interp) lookup(name string) (string, bool) {
	if v, ok := in.m.Properties[name]; ok {
		return v, true
	}
	if strings.HasPrefix(name, "pom.") {
		if v, ok := in.m.Properties["project."+strings.TrimPrefix(name, "pom.")]; ok {
			return v, true
		}
	}
	if e, ok := strings.CutPrefix(name, "env."); ok {
		v, ok := in.l.env[e]
		return v, ok
	}
	if v, ok := in.l.sys[name]; ok {
		return v, true
	}
	switch name {
	case "project.build.directory":
		return filepath.Join(in.m.Dir, "target"), true
	case "project.build.outputDirectory":
		return filepath.Join(in.m.Dir, "target", "classes"), true
	}
	return "", false
}

func (in *interp) dep(gd gopom.Dependency) (Dep, error) {
	d := Dep{
		GroupID: str(gd.GroupID), ArtifactID: str(gd.ArtifactID), Version: str(gd.Version),
		Type: str(gd.Type), Classifier: str(gd.Classifier), Scope: str(gd.Scope),
		Optional: str(gd.Optional) == "true", SystemPath: str(gd.SystemPath),
	}
	var err error
	for _, f := range []*string{&d.GroupID, &d.ArtifactID, &d.Version, &d.Type, &d.Classifier, &d.Scope, &d.SystemPath} {
		if *f, err = in.expand(*f); err != nil {
			return d, err
		}
	}
	if gd.Exclusions != nil {
		for _, e := range *gd.Exclusions {
			x := Exclusion{GroupID: str(e.GroupID), ArtifactID: str(e.ArtifactID)}
			if x.GroupID, err = in.expand(x.GroupID); err != nil {
				return d, err
			}
			if x.ArtifactID, err = in.expand(x.ArtifactID); err != nil {
				return d, err
			}
			d.Exclusions = append(d.Exclusions, x)
		}
	}
	if d.GroupID == "" || d.ArtifactID == "" {
		return d, &PomError{File: in.r.file, Line: in.r.lineOf("<dependency>"), Msg: "a dependency lacks groupId or artifactId"}
	}
	return d, nil
}
