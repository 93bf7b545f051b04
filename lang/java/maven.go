package java

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

// LocalRepository returns the local repository Maven uses: <localRepository>
// of the user's settings.xml, else of the global one, else
// ~/.m2/repository. home is the user's home directory and mavenHome Maven's
// installation (for conf/settings.xml); either may be empty.
func LocalRepository(home, mavenHome string) string {
	var settings []string
	if home != "" {
		settings = append(settings, filepath.Join(home, ".m2", "settings.xml"))
	}
	if mavenHome != "" {
		settings = append(settings, filepath.Join(mavenHome, "conf", "settings.xml"))
	}
	for _, s := range settings {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		t, err := parseTree(b)
		if err != nil {
			continue
		}
		if lr := t.text("localRepository"); lr != "" {
			return strings.ReplaceAll(lr, "${user.home}", home)
		}
	}
	return filepath.Join(home, ".m2", "repository")
}

// projectInfo is what the analyzer needs of the effective model beyond the
// classpath; it is cached with it.
type projectInfo struct {
	File, Dir                       string
	OutputDirectory, BuildDirectory string
	PomMain                         string
	Release                         int
	// BootKeeps lists development-only artifacts the project's Spring Boot
	// plugin keeps.
	BootKeeps []string `json:",omitempty"`
	// Args are the program's arguments (exec-maven-plugin's), Manifest the
	// main attributes of the project jar's manifest (the jar plugin's).
	Args     []string    `json:",omitempty"`
	Manifest [][2]string `json:",omitempty"`
}

func infoOf(m *Model) projectInfo {
	return projectInfo{File: m.File, Dir: m.Dir, OutputDirectory: m.OutputDirectory, BuildDirectory: m.BuildDirectory,
		PomMain: pomMainClass(m), Release: javaRelease(m), BootKeeps: bootKeeps(m), Args: pomArgs(m), Manifest: pomManifest(m)}
}

// resolutionVersion changes whenever what is cached, or how it is computed,
// changes, so that an older record is not trusted.
const resolutionVersion = 4

// resolution is a cached analysis with the poms it was computed from.
type resolution struct {
	V         int         `json:"v"`
	Inputs    []fileStamp `json:"inputs"`
	Info      projectInfo `json:"info"`
	Artifacts []Artifact  `json:"artifacts"`
	ByMaven   bool        `json:"byMaven"`
}

type fileStamp struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
}

func stamp(p string) (fileStamp, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{Path: p, Size: fi.Size(), MTime: fi.ModTime().UnixNano()}, nil
}

// project reads the module's effective model and resolves its runtime
// classpath: from the cache when no pom involved (the module's, its parents',
// imported BOMs', every dependency's) changed since, which costs a stat per
// pom and no XML parsing; natively otherwise; or, when the local repository
// lacks something or the poms use what the native resolver does not handle,
// by running Maven once (which fetches from the repositories Maven is
// configured with) and carrying on.
func (a *Analyzer) project(ctx context.Context, pom string, opts settings) (projectInfo, []Artifact, error) {
	cacheFile := ""
	if opts.WorkDir != "" && opts.Module == "" && opts.classpath == nil {
		h := sha256.Sum256([]byte(pom + "\x00" + opts.MavenRepo))
		dir := filepath.Join(opts.WorkDir, "java")
		if err := os.MkdirAll(dir, 0o755); err == nil {
			cacheFile = filepath.Join(dir, hex.EncodeToString(h[:12])+".json")
		}
	}
	if cacheFile != "" {
		if r, ok := loadResolution(cacheFile); ok {
			return r.Info, devFilter(r.Info, r.Artifacts, opts), nil
		}
	}

	l := newLoader(opts.MavenRepo, opts.Env, opts.JavaSysProps)
	m, err := l.load(pom)
	if errors.Is(err, ErrMissing) && !opts.PlanOnly {
		// A parent or BOM not downloaded yet: Maven fetches it.
		notify(opts, fmt.Sprintf("%v: running Maven once to fetch it", err))
		if _, merr := runMaven(ctx, pom, filepath.Dir(pom), opts); merr != nil {
			return projectInfo{}, nil, fmt.Errorf("%w\n(and Maven could not fetch it: %v)", err, merr)
		}
		l = newLoader(opts.MavenRepo, opts.Env, opts.JavaSysProps)
		m, err = l.load(pom)
	}
	if err != nil {
		return projectInfo{}, nil, err
	}
	if m.Packaging == "pom" {
		if opts.Module == "" {
			return projectInfo{}, nil, &PomError{File: pom, Msg: fmt.Sprintf("packaging is pom (a parent or aggregator): name a module with --module (%s), or build in its directory", strings.Join(m.Modules, ", "))}
		}
		if pom, err = l.selectModule(m, opts.Module); err != nil {
			return projectInfo{}, nil, err
		}
		if m, err = l.load(pom); err != nil {
			return projectInfo{}, nil, err
		}
	}
	if l.workspace, err = l.reactor(pom); err != nil {
		return projectInfo{}, nil, err
	}
	if opts.classpath != nil {
		// Maven's %classpath starts with the project's own output; those
		// classes are layered from there already.
		var arts []Artifact
		for _, p := range opts.classpath {
			if p == m.OutputDirectory || strings.HasPrefix(p, m.BuildDirectory+string(filepath.Separator)) && !strings.HasSuffix(p, ".jar") {
				continue
			}
			a := artifactFromPath(p, opts.MavenRepo)
			a.Module = l.moduleAt(p)
			arts = append(arts, a)
		}
		info := infoOf(m)
		return info, devFilter(info, arts, opts), nil
	}

	arts, files, err := l.resolve(m)
	byMaven := false
	var unsup *unsupportedError
	switch {
	case errors.Is(err, ErrMissing):
		notify(opts, fmt.Sprintf("%s: running Maven once to fetch what the local repository lacks (%v)", m.File, err))
		if _, merr := runMaven(ctx, m.File, m.Dir, opts); merr != nil {
			return projectInfo{}, nil, merr
		}
		ws := l.workspace
		l = newLoader(opts.MavenRepo, opts.Env, opts.JavaSysProps)
		l.workspace = ws
		if m, err = l.load(m.File); err != nil {
			return projectInfo{}, nil, err
		}
		arts, files, err = l.resolve(m)
	case errors.As(err, &unsup):
		notify(opts, fmt.Sprintf("%s: letting Maven resolve: %v", m.File, err))
		arts, err = runMaven(ctx, m.File, m.Dir, opts)
		byMaven = true
	}
	if err != nil {
		return projectInfo{}, nil, err
	}
	info := infoOf(m)
	if cacheFile != "" {
		r := resolution{V: resolutionVersion, Info: info, Artifacts: arts, ByMaven: byMaven}
		seen := map[string]bool{}
		for _, f := range append(append(files, m.File), l.workspacePoms()...) {
			if seen[f] {
				continue
			}
			seen[f] = true
			if s, err := stamp(f); err == nil {
				r.Inputs = append(r.Inputs, s)
			}
		}
		if b, err := json.Marshal(r); err == nil {
			// The record only saves work: failing to write it is no error.
			_ = layering.WriteFileAtomic(cacheFile, b)
		}
	}
	return info, devFilter(info, arts, opts), nil
}

// devFilter leaves development-only artifacts out, saying so.
func devFilter(info projectInfo, arts []Artifact, opts settings) []Artifact {
	arts, notes := dropDevOnly(arts, info.BootKeeps, opts.KeepDevDeps)
	for _, n := range notes {
		notify(opts, n)
	}
	return arts
}

func loadResolution(file string) (*resolution, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, false
	}
	var r resolution
	if json.Unmarshal(b, &r) != nil || r.V != resolutionVersion || len(r.Inputs) == 0 {
		return nil, false
	}
	for _, in := range r.Inputs {
		s, err := stamp(in.Path)
		if err != nil || s != in {
			return nil, false
		}
	}
	for _, a := range r.Artifacts {
		if _, err := os.Stat(a.File); err != nil {
			return nil, false
		}
	}
	return &r, true
}

func notify(opts settings, msg string) {
	if opts.Notify != nil {
		opts.Notify(msg)
	}
}

// runMaven runs `mvn dependency:build-classpath` (./mvnw when the project has
// it) for the runtime scope and reads the classpath it prints.
func runMaven(ctx context.Context, pom, dir string, opts settings) ([]Artifact, error) {
	out, err := os.CreateTemp("", "langbuild-classpath-")
	if err != nil {
		return nil, err
	}
	out.Close()
	defer os.Remove(out.Name())
	mvn := "mvn"
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "mvnw")); err == nil {
			mvn = filepath.Join(d, "mvnw")
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	args := []string{"-B", "-q", "-f", pom,
		"org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
		"-Dmdep.outputFile=" + out.Name(), "-DincludeScope=runtime"}
	if opts.MavenRepo != "" {
		args = append(args, "-Dmaven.repo.local="+opts.MavenRepo)
	}
	cmd := exec.CommandContext(ctx, mvn, args...)
	cmd.Dir = dir
	cmd.Env = opts.Env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return nil, &lang.BuildError{Tool: mvn + " dependency:build-classpath", Output: buf.String(), Err: err}
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		return nil, err
	}
	var arts []Artifact
	for _, p := range strings.Split(strings.TrimSpace(string(b)), string(os.PathListSeparator)) {
		if p == "" {
			continue
		}
		arts = append(arts, artifactFromPath(p, opts.MavenRepo))
	}
	return arts, nil
}

// artifactFromPath recovers coordinates from a local repository path
// (repo/g/r/o/u/p/artifact/version/file); other paths keep only the file.
func artifactFromPath(p, repo string) Artifact {
	a := Artifact{File: p, Scope: "runtime", Type: "jar"}
	rel, err := filepath.Rel(repo, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		a.ArtifactID = strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		return a
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) < 4 {
		a.ArtifactID = strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		return a
	}
	a.Version = parts[len(parts)-2]
	a.ArtifactID = parts[len(parts)-3]
	a.GroupID = strings.Join(parts[:len(parts)-3], ".")
	base := strings.TrimSuffix(parts[len(parts)-1], filepath.Ext(p))
	a.Classifier = strings.TrimPrefix(strings.TrimPrefix(base, a.ArtifactID+"-"+a.Version), "-")
	return a
}
