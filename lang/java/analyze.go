// Package java plans images of Maven projects the way Jib lays them out, from
// outside Maven: it reads the poms itself (effective model, parents, BOMs),
// resolves the runtime classpath natively from the local repository with
// Maven's rules, and splits dependencies, snapshot dependencies, resources
// and classes into layers ordered by how often they change.
package java

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

// Paths in the image, as Jib lays them out.
const (
	AppRoot       = "/app"
	LibsDir       = "/app/libs"
	ResourcesDir  = "/app/resources"
	ClassesDir    = "/app/classes"
	ClasspathFile = "/app/classpath"
	// FactClasspath is the resolved runtime classpath, in Maven's order, as
	// files on this machine (what `mvn dependency:build-classpath` prints).
	FactClasspath = "java.classpath"
)

// Analyzer is the Maven analyzer.
type Analyzer struct {
	Options
}

// Options are the Java analyzer's own options.
type Options struct {
	// MavenRepo is the local Maven repository; "" means the one Maven uses
	// with the environment the analyzer is given (settings.xml's
	// localRepository, else ~/.m2/repository).
	MavenRepo string
	// JavaSysProps are the JVM's system properties that profile activation
	// reads (java.version, java.home, os.name...); nil means those of the
	// JDK the environment names (JAVA_HOME, else java on PATH).
	JavaSysProps map[string]string
	// MainClass is the class to run; "" means the pom's, else the only
	// class with a main method.
	MainClass string
	// Module is the module to build, when the directory is a multi-module
	// parent (its artifactId or directory).
	Module string
	// Jar is a built jar (plain or Spring Boot) to build from instead of the
	// compiled classes; relative to the project.
	Jar string
	// KeepDevDeps keeps development-only dependencies (Spring Boot's
	// devtools and Docker Compose support) that are left out by default.
	KeepDevDeps bool
	// JVMFlags go into the entrypoint, before the main class.
	JVMFlags []string
	// Classpath is a runtime classpath resolved by the caller (Maven's
	// %classpath, os.PathListSeparator between entries, relative to the
	// project) to use instead of resolving.
	Classpath string
}

// settings are what an analysis is given: the common options and Java's
// own, with the classpath split and the environment's defaults filled in.
type settings struct {
	lang.Options
	own
	classpath []string
}

type own = Options

// New returns the Maven analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements lang.Analyzer.
func (*Analyzer) Name() string { return "java" }

// Flags implements lang.Analyzer.
func (a *Analyzer) Flags(fs lang.FlagSet) {
	fs.StringVar(&a.Jar, "jar", "", "Java: build from this jar (a plain jar run with java -jar; a Spring Boot fat jar laid out by its layers.idx and run by its launcher, or exploded without one)")
	fs.StringVar(&a.Module, "module", "", "Java: the module to build, in a multi-module parent (artifactId or directory)")
	fs.StringVar(&a.MainClass, "main-class", "", "Java: the main class (default: from the pom, else the only class with a main method)")
	fs.BoolVar(&a.KeepDevDeps, "keep-dev-deps", false, "Java: keep development-only dependencies (spring-boot-devtools, spring-boot-docker-compose) that are left out of the image as Spring Boot's repackager leaves them out")
	fs.StringArrayVar(&a.JVMFlags, "jvm-flag", nil, "Java: a JVM flag for the entrypoint (repeatable)")
	fs.StringVar(&a.Classpath, "classpath", "", "Java: the runtime classpath, already resolved (e.g. exec-maven-plugin's %classpath), instead of resolving it")
}

// Marker implements lang.Marker.
func (*Analyzer) Marker() string { return "pom.xml" }

// Detect implements lang.Analyzer: dir holds a pom.xml.
func (*Analyzer) Detect(dir string) (bool, error) {
	fi, err := os.Stat(filepath.Join(dir, "pom.xml"))
	return err == nil && !fi.IsDir(), nil
}

// Analyze implements lang.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, dir string, lo lang.Options) (*layering.Plan, error) {
	opts := a.settings(dir, lo)
	if p, ok, err := a.quarkus(dir, opts); ok {
		return p, err
	}
	if opts.Jar != "" {
		jar := opts.Jar
		if !filepath.IsAbs(jar) {
			jar = filepath.Join(dir, jar)
		}
		return analyzeJar(jar, opts)
	}
	pom, err := filepath.Abs(filepath.Join(dir, "pom.xml"))
	if err != nil {
		return nil, err
	}
	if opts.MavenRepo == "" {
		return nil, errors.New("java: no local Maven repository given")
	}
	info, arts, err := a.project(ctx, pom, opts)
	if err != nil {
		return nil, err
	}
	classesDir := info.OutputDirectory
	if fi, err := os.Stat(classesDir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s: no compiled classes in %s: run `mvn compile` (or `mvn package`) first", info.File, classesDir)
	}
	links := lang.Links{Root: dir, Follow: opts.FollowSymlinks}
	resources, classes, mains, newest, err := scanOutput(classesDir, opts.MainClass == "" && info.PomMain == "", links)
	if err != nil {
		return nil, err
	}
	mainClass, err := chooseMain(opts.MainClass, info, mains, classesDir)
	if err != nil {
		return nil, err
	}

	libs, err := libEntries(arts)
	if err != nil {
		return nil, err
	}
	var release, snapshots, modules []layering.Entry
	var cp []string
	for i, e := range libs {
		switch a := arts[i]; {
		case a.Module:
			if fi, err := os.Stat(a.File); err == nil && fi.IsDir() {
				dst := AppRoot + "/modules/" + a.ArtifactID
				es, err := dirEntries(a.File, dst, lang.Links{Root: filepath.Dir(filepath.Dir(a.File)), Follow: opts.FollowSymlinks})
				if err != nil {
					return nil, err
				}
				// A sibling module's classes run in this image too.
				for _, e := range es {
					if e.Type == layering.TypeFile && topLevel(e.Path) {
						newest.readMajor(e.Source)
					}
				}
				modules = append(modules, es...)
				cp = append(cp, dst)
				continue
			}
			modules = append(modules, e)
		case a.Snapshot():
			snapshots = append(snapshots, e)
		default:
			release = append(release, e)
		}
		cp = append(cp, e.Path)
	}
	cpString := strings.Join(append([]string{ResourcesDir, ClassesDir}, cp...), ":")

	rel, relFrom := projectRelease(dir, info, newest)
	entrypoint := append([]string{"java"}, opts.JVMFlags...)
	if rel > 0 && rel < 9 {
		entrypoint = append(entrypoint, "-cp", ResourcesDir+":"+ClassesDir+":"+LibsDir+"/*", mainClass)
	} else {
		entrypoint = append(entrypoint, "-cp", "@"+ClasspathFile, mainClass)
	}
	extra, err := extraFiles(info.Dir, links)
	if err != nil {
		return nil, err
	}
	resources = withManifest(resources, info.Manifest)
	p := &layering.Plan{
		Layers: []layering.Layer{
			{Name: "dependencies", Entries: release, Stable: true},
			{Name: "snapshot dependencies", Entries: snapshots, Stable: true},
			{Name: "project dependencies", Entries: modules},
			{Name: "resources", Entries: resources},
			{Name: "classes", Entries: classes},
			{Name: "extra files", Entries: extra},
			{Name: "jvm arg files", Entries: []layering.Entry{
				{Path: ClasspathFile, Type: layering.TypeFile, Data: []byte(cpString + "\n")},
			}},
		},
		Config: layering.Config{
			Entrypoint: entrypoint,
			Cmd:        info.Args,
			User:       "65532",
			WorkingDir: AppRoot,
		},
	}
	p.Facts = map[string]string{FactClasspath: strings.Join(jarFiles(arts), string(os.PathListSeparator))}
	p.Runtime = javaRuntime(rel, relFrom)
	return p, nil
}

// scanClasses splits the compiled output into resources and classes and,
// when findMains is set, finds the classes with a main method.
func scanClasses(dir string, findMains bool, links lang.Links) (resources, classes []layering.Entry, mains []string, err error) {
	resources, classes, mains, _, err = scanOutput(dir, findMains, links)
	return resources, classes, mains, err
}

// scanOutput is scanClasses that also finds the newest class-file version:
// from the classes read for a main method, and from the 8-byte header of
// the other top-level classes.
func scanOutput(dir string, findMains bool, links lang.Links) (resources, classes []layering.Entry, mains []string, newest classRelease, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if !strings.HasSuffix(rel, ".class") || !d.Type().IsRegular() {
			es, err := links.Entries(dir, p, path.Join(ResourcesDir, rel), d)
			if err != nil {
				return err
			}
			for _, e := range es {
				if e.Type != layering.TypeDir {
					resources = append(resources, e)
				}
			}
			return nil
		}
		classes = append(classes, layering.Entry{Path: path.Join(ClassesDir, rel), Type: layering.TypeFile, Source: p})
		if !topLevel(rel) {
			return nil
		}
		if !findMains || rel == "module-info.class" || strings.HasSuffix(rel, "package-info.class") {
			newest.readMajor(p)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		ci, err := readClass(b)
		if err != nil {
			return fmt.Errorf("%s: %v: recompile the project", p, err)
		}
		newest.see(ci.major, p)
		if ci.hasMain {
			mains = append(mains, ci.name)
		}
		return nil
	})
	sort.Strings(mains)
	return resources, classes, mains, newest, err
}

// chooseMain: the flag, then the pom (exec-maven-plugin mainClass,
// maven-jar-plugin's manifest mainClass, Spring Boot's start-class or its
// plugin's mainClass), then the only class with a main method.
func chooseMain(flag string, info projectInfo, mains []string, classesDir string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if info.PomMain != "" {
		return info.PomMain, nil
	}
	switch len(mains) {
	case 1:
		return mains[0], nil
	case 0:
		return "", fmt.Errorf("%s: no class with a main method in %s: name one with --main-class or the exec-maven-plugin's <mainClass>", info.File, classesDir)
	}
	return "", fmt.Errorf("%s: several classes have a main method (%s): name one with --main-class or the exec-maven-plugin's <mainClass>", info.File, strings.Join(mains, ", "))
}

func pomMainClass(m *Model) string {
	expand := func(s string) string {
		for k, v := range m.Properties {
			s = strings.ReplaceAll(s, "${"+k+"}", v)
		}
		return s
	}
	for _, pl := range m.Plugins {
		confs := append([]*Node{pl.child("configuration")}, pl.children("executions", "execution", "configuration")...)
		for _, c := range confs {
			if c == nil {
				continue
			}
			var v string
			switch pl.text("artifactId") {
			case "exec-maven-plugin", "spring-boot-maven-plugin":
				v = c.text("mainClass")
			case "maven-jar-plugin":
				v = c.text("archive", "manifest", "mainClass")
			}
			if v = expand(v); v != "" && !strings.Contains(v, "${") {
				return v
			}
		}
	}
	for _, kv := range pomManifest(m) {
		if kv[0] == "Main-Class" {
			return kv[1]
		}
	}
	if v := m.Properties["start-class"]; v != "" && !strings.Contains(v, "${") {
		return v
	}
	return ""
}

// libEntries places the jars under /app/libs; a file name used by two
// different jars gets a content-hash suffix on each (never a size, which
// can collide).
func libEntries(arts []Artifact) ([]layering.Entry, error) {
	count := map[string]int{}
	for _, a := range arts {
		count[filepath.Base(a.File)]++
	}
	out := make([]layering.Entry, len(arts))
	for i, a := range arts {
		name := filepath.Base(a.File)
		if count[name] > 1 {
			sum, err := fileHash(a.File)
			if err != nil {
				return nil, err
			}
			ext := filepath.Ext(name)
			name = strings.TrimSuffix(name, ext) + "-" + sum[:12] + ext
		}
		out[i] = layering.Entry{Path: LibsDir + "/" + name, Type: layering.TypeFile, Source: a.File}
	}
	return out, nil
}

func jarFiles(arts []Artifact) []string {
	out := make([]string, len(arts))
	for i, a := range arts {
		out[i] = a.File
	}
	return out
}

func fileHash(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// dirEntries lists the files below dir at dst (a reactor module's classes
// when it is compiled but not packaged).
func dirEntries(dir, dst string, links lang.Links) ([]layering.Entry, error) {
	var es []layering.Entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sub, err := links.Entries(dir, p, dst+"/"+filepath.ToSlash(rel), d)
		for _, e := range sub {
			if e.Type != layering.TypeDir {
				es = append(es, e)
			}
		}
		return err
	})
	return es, err
}

// extraFiles copies src/main/langbuild (or Jib's src/main/jib) to the image root.
func extraFiles(dir string, links lang.Links) ([]layering.Entry, error) {
	for _, name := range []string{"src/main/langbuild", "src/main/jib"} {
		root := filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Stat(root); err != nil {
			continue
		}
		var es []layering.Entry
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			sub, err := links.Entries(root, p, "/"+filepath.ToSlash(rel), d)
			es = append(es, sub...)
			return err
		})
		return es, err
	}
	return nil, nil
}

// javaRelease is the release the project compiles for: maven.compiler.release,
// then the compiler plugin's <release>, then maven.compiler.target or the
// plugin's <target>. 0 when none is set.
func javaRelease(m *Model) int {
	var cands []string
	cands = append(cands, m.Properties["maven.compiler.release"])
	for _, pl := range m.Plugins {
		if pl.text("artifactId") == "maven-compiler-plugin" {
			cands = append(cands, pl.text("configuration", "release"))
		}
	}
	cands = append(cands, m.Properties["maven.compiler.target"])
	for _, pl := range m.Plugins {
		if pl.text("artifactId") == "maven-compiler-plugin" {
			cands = append(cands, pl.text("configuration", "target"))
		}
	}
	for _, c := range cands {
		c = strings.TrimPrefix(strings.TrimSpace(c), "1.")
		if strings.Contains(c, "${") {
			for k, v := range m.Properties {
				c = strings.ReplaceAll(c, "${"+k+"}", v)
			}
			c = strings.TrimPrefix(c, "1.")
		}
		if n, err := strconv.Atoi(c); err == nil && n > 0 {
			return n
		}
	}
	return 0
}
