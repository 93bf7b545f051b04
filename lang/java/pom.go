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
	levels map[string]*level // raw poms with their active profiles, by path
	raws   *rawCache         // parsed poms, read ahead
	// workspace maps g:a:v of the reactor's modules to their poms: such a
	// dependency is a project dependency, read from its directory.
	workspace map[string]string
}

func newLoader(repo string, env []string, sys map[string]string) *loader {
	l := &loader{repo: repo, env: map[string]string{}, sys: sys, models: map[string]*Model{}, levels: map[string]*level{}, raws: newRawCache()}
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
	tree, terr := parseTree(src)
	if terr == nil && tree.Name != "project" {
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
	if terr != nil {
		return nil, &PomError{File: file, Msg: terr.Error()}
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

// level is one pom of a lineage (the pom, its parent, its parent's parent)
// with the profiles active in it.
type level struct {
	r           *raw
	profiles    []gopom.Profile
	unsupported []string
}

// srcDep is a dependency as a pom of the lineage declares it, before
// interpolation, with the pom it comes from (for messages).
type srcDep struct {
	d   gopom.Dependency
	src *raw
}

func depKey(gd gopom.Dependency) string {
	t := str(gd.Type)
	if t == "" {
		t = "jar"
	}
	return str(gd.GroupID) + ":" + str(gd.ArtifactID) + ":" + t + ":" + str(gd.Classifier)
}

// mergeDeps is Maven's merge of dependency lists: the dominant list's
// entries first, then the other's whose key (groupId, artifactId, type,
// classifier) it lacks.
func mergeDeps(dominant, other []srcDep) []srcDep {
	seen := make(map[string]bool, len(dominant))
	out := append([]srcDep(nil), dominant...)
	for _, d := range dominant {
		seen[depKey(d.d)] = true
	}
	for _, d := range other {
		if !seen[depKey(d.d)] {
			seen[depKey(d.d)] = true
			out = append(out, d)
		}
	}
	return out
}

// injectProfile merges a profile's dependencies into a pom's: a profile's
// entry replaces one with the same key in place, new ones are appended.
func injectProfile(base, prof []srcDep) []srcDep {
	out := append([]srcDep(nil), base...)
	idx := map[string]int{}
	for i, d := range out {
		idx[depKey(d.d)] = i
	}
	for _, d := range prof {
		if i, ok := idx[depKey(d.d)]; ok {
			out[i] = d
			continue
		}
		idx[depKey(d.d)] = len(out)
		out = append(out, d)
	}
	return out
}

func srcDeps(r *raw, ds *[]gopom.Dependency) []srcDep {
	if ds == nil {
		return nil
	}
	out := make([]srcDep, len(*ds))
	for i, d := range *ds {
		out[i] = srcDep{d, r}
	}
	return out
}

// lineage reads the pom at file and its parents, with their active
// profiles: [the pom, its parent, ...].
func (l *loader) lineage(file string) ([]*level, error) {
	var out []*level
	seen := map[string]bool{}
	for file != "" {
		if seen[file] {
			return nil, &PomError{File: file, Msg: "the parents form a cycle"}
		}
		seen[file] = true
		lv, ok := l.levels[file]
		if !ok {
			r, err := l.raws.get(file)
			if err != nil {
				return nil, err
			}
			lv = &level{r: r}
			if lv.profiles, lv.unsupported, err = l.activeProfiles(r, filepath.Dir(file)); err != nil {
				return nil, err
			}
			l.levels[file] = lv
		}
		out = append(out, lv)
		next := ""
		if pp := lv.r.p.Parent; pp != nil {
			var err error
			if next, err = l.parentFile(lv.r, pp); err != nil {
				return nil, err
			}
		}
		file = next
	}
	return out, nil
}

// load returns the effective model of the pom at file, built as Maven
// builds it: profiles injected into each pom of the lineage, the lineage
// merged (the child's values first), everything interpolated with the
// merged properties and the child's coordinates, imported BOMs added to
// the dependency management, and the management injected into the
// dependencies.
func (l *loader) load(file string) (*Model, error) {
	if m, ok := l.models[file]; ok {
		return m, nil
	}
	lin, err := l.lineage(file)
	if err != nil {
		return nil, err
	}
	r := lin[0].r
	m := &Model{File: file, Dir: filepath.Dir(file), Properties: map[string]string{}, Managed: map[string]Dep{}}
	var deps, managed []srcDep
	var buildDir, outputDir, finalName string
	var dirSrc, outSrc, nameSrc *raw
	for i := len(lin) - 1; i >= 0; i-- { // the farthest ancestor first
		lv := lin[i]
		p := lv.r.p
		m.Files = append([]string{lv.r.file}, m.Files...)
		m.Unsupported = append(m.Unsupported, lv.unsupported...)
		if g := str(p.GroupID); g != "" {
			m.GroupID = g
		}
		if v := str(p.Version); v != "" {
			m.Version = v
		}
		if p.Properties != nil {
			for k, v := range p.Properties.Entries {
				m.Properties[k] = strings.TrimSpace(v)
			}
		}
		// A dependency declared twice in one pom: the last declaration, in
		// the first one's place, as Maven 2 did and Maven 3 still does.
		own := injectProfile(nil, srcDeps(lv.r, p.Dependencies))
		var ownManaged []srcDep
		if dm := p.DependencyManagement; dm != nil {
			ownManaged = srcDeps(lv.r, dm.Dependencies)
		}
		for _, pr := range lv.profiles {
			if pr.Properties != nil {
				for k, v := range pr.Properties.Entries {
					m.Properties[k] = strings.TrimSpace(v)
				}
			}
			own = injectProfile(own, srcDeps(lv.r, pr.Dependencies))
			if pr.DependencyManagement != nil {
				ownManaged = injectProfile(ownManaged, srcDeps(lv.r, pr.DependencyManagement.Dependencies))
			}
		}
		deps = mergeDeps(own, deps)
		managed = mergeDeps(ownManaged, managed)
		if b := p.Build; b != nil {
			if d := str(b.Directory); d != "" {
				buildDir, dirSrc = d, lv.r
			}
			if d := str(b.OutputDirectory); d != "" {
				outputDir, outSrc = d, lv.r
			}
			if f := str(b.FinalName); f != "" {
				finalName, nameSrc = f, lv.r
			}
		}
		if t := lv.r.tree.child("build"); t != nil {
			ps := append(t.children("plugins", "plugin"), t.children("pluginManagement", "plugins", "plugin")...)
			m.Plugins = append(ps, m.Plugins...)
		}
	}
	m.ArtifactID = str(r.p.ArtifactID)
	m.Packaging = str(r.p.Packaging)
	if m.Packaging == "" {
		m.Packaging = "jar"
	}
	if m.ArtifactID == "" {
		return nil, &PomError{File: file, Line: r.lineOf("<project"), Msg: "no <artifactId>"}
	}
	if r.p.Modules != nil {
		m.Modules = *r.p.Modules
	}
	m.Properties["project.artifactId"] = m.ArtifactID
	m.Properties["project.packaging"] = m.Packaging
	m.Properties["project.basedir"] = m.Dir
	m.Properties["basedir"] = m.Dir
	// Poms in the repository may use properties only their own builds
	// define (os-maven-plugin's ${os.detected.classifier}, say); Maven leaves
	// those as they are, and so do we. The project's own poms must be whole.
	lenient := strings.HasPrefix(file, l.repo+string(filepath.Separator))
	in := &interp{l: l, m: m, r: r, lenient: lenient}
	m.Properties["project.groupId"], m.Properties["project.version"] = m.GroupID, m.Version
	for _, f := range []*string{&m.GroupID, &m.Version} {
		if *f, err = in.expand(*f); err != nil {
			return nil, err
		}
	}
	m.Properties["project.groupId"], m.Properties["project.version"] = m.GroupID, m.Version
	if len(lin) > 1 {
		pp := r.p.Parent
		for _, kv := range [][2]string{{"groupId", str(pp.GroupID)}, {"artifactId", str(pp.ArtifactID)}, {"version", str(pp.Version)}} {
			v, err := in.expand(kv[1])
			if err != nil {
				return nil, err
			}
			m.Properties["project.parent."+kv[0]] = v
		}
	}
	at := func(src *raw) *interp {
		return &interp{l: l, m: m, r: src, lenient: lenient || strings.HasPrefix(src.file, l.repo+string(filepath.Separator))}
	}

	// Build directories.
	m.BuildDirectory = filepath.Join(m.Dir, "target")
	if buildDir != "" {
		d, err := at(dirSrc).expand(buildDir)
		if err != nil {
			return nil, err
		}
		m.BuildDirectory = abs(m.Dir, d)
	}
	m.OutputDirectory = filepath.Join(m.BuildDirectory, "classes")
	if outputDir != "" {
		d, err := at(outSrc).expand(outputDir)
		if err != nil {
			return nil, err
		}
		m.OutputDirectory = abs(m.Dir, d)
	}
	m.FinalName = m.ArtifactID + "-" + m.Version
	if finalName != "" {
		if m.FinalName, err = at(nameSrc).expand(finalName); err != nil {
			return nil, err
		}
	}

	// Dependency management, then the BOMs it imports (in its order: the
	// child's imports before the parent's), each adding what is not
	// managed yet.
	var imports []Dep
	for _, sd := range managed {
		d, err := at(sd.src).dep(sd.d)
		if err != nil {
			return nil, err
		}
		if d.Scope == "import" && d.typ() == "pom" {
			imports = append(imports, d)
			continue
		}
		if _, ok := m.Managed[d.key()]; !ok {
			m.manage(d)
		}
	}
	for _, imp := range imports {
		if !isRange(imp.Version) {
			l.raws.prefetch(l, l.repoPath(imp.GroupID, imp.ArtifactID, imp.Version, "", "pom"))
		}
	}
	for _, imp := range imports {
		if isRange(imp.Version) {
			v, fs, err := l.resolveRange(imp.GroupID, imp.ArtifactID, imp.Version)
			m.Files = append(m.Files, fs...)
			if err != nil {
				return nil, fmt.Errorf("%s: importing BOM %s: %w", file, imp, err)
			}
			imp.Version = v
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

	// Dependencies, with the management injected.
	for _, sd := range deps {
		d, err := at(sd.src).dep(sd.d)
		if err != nil {
			return nil, err
		}
		if md, ok := m.Managed[d.key()]; ok {
			if d.Version == "" {
				d.Version = md.Version
			}
			if d.Scope == "" {
				d.Scope = md.Scope
			}
			if d.SystemPath == "" {
				d.SystemPath = md.SystemPath
			}
			if len(d.Exclusions) == 0 {
				d.Exclusions = md.Exclusions
			}
		}
		if d.Version == "" && d.Scope != "system" {
			return nil, &PomError{File: sd.src.file, Line: sd.src.lineOf("<artifactId>" + d.ArtifactID + "</artifactId>"),
				Msg: fmt.Sprintf("dependency %s:%s has no version and none is managed", d.GroupID, d.ArtifactID)}
		}
		m.Dependencies = append(m.Dependencies, d)
	}

	if dm := r.p.DistributionManagement; dm != nil && dm.Relocation != nil {
		rel := Dep{GroupID: str(dm.Relocation.GroupID), ArtifactID: str(dm.Relocation.ArtifactID), Version: str(dm.Relocation.Version)}
		for _, f := range []*string{&rel.GroupID, &rel.ArtifactID, &rel.Version} {
			if *f, err = in.expand(*f); err != nil {
				return nil, err
			}
		}
		rel.GroupID = or(rel.GroupID, m.GroupID)
		rel.ArtifactID = or(rel.ArtifactID, m.ArtifactID)
		rel.Version = or(rel.Version, m.Version)
		m.Relocation = &rel
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

// parentFile finds the parent's pom: at relativePath (default ../pom.xml)
// when that pom is the one named, else in the local repository.
func (l *loader) parentFile(r *raw, pp *gopom.Parent) (string, error) {
	g, a, v := str(pp.GroupID), str(pp.ArtifactID), str(pp.Version)
	if g == "" || a == "" || v == "" {
		return "", &PomError{File: r.file, Line: r.lineOf("<parent>"), Msg: "<parent> needs groupId, artifactId and version"}
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
				return cand, nil
			}
		}
	}
	p := l.repoPath(g, a, v, "", "pom")
	if _, err := os.Stat(p); err != nil {
		return "", &PomError{File: r.file, Line: r.lineOf("<parent>"), Err: ErrMissing,
			Msg: fmt.Sprintf("parent %s:%s:%s is neither at %s nor in the local repository %s", g, a, v, rel, l.repo)}
	}
	return p, nil
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
	case "groupId", "artifactId", "version", "packaging", "parent.groupId", "parent.artifactId", "parent.version":
		// Unprefixed model fields, which Maven tries last (older poms use
		// ${version}).
		v, ok := in.m.Properties["project."+name]
		return v, ok
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
