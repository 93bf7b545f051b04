package java

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/langbuild/langbuild/lang"
	"github.com/langbuild/langbuild/layering"
)

// A Quarkus app has no main class of its own: `mvn package` runs Quarkus'
// augmentation, which writes the app out in one of three layouts. langbuild
// does not run it; it lays out what it wrote:
//
//   - fast-jar (the default): target/quarkus-app with quarkus-run.jar,
//     lib/boot (on quarkus-run.jar's Class-Path), lib/main (the
//     dependencies), quarkus/ (generated and transformed bytecode, the
//     application model) and app/ (the project's classes);
//   - legacy-jar: target/NAME-runner.jar with its dependencies in target/lib;
//   - uber-jar: target/NAME-runner.jar alone.
//
// Paths in the image keep the structure quarkus-run.jar expects, under /app.
const (
	QuarkusRunJar = AppRoot + "/quarkus-run.jar"
	quarkusAppDir = "quarkus-app"
)

// quarkus plans the image of a Quarkus app when dir (or --module's
// directory) is a Quarkus project, or --jar names a fast-jar's
// quarkus-run.jar; ok is false otherwise, and the Maven analyzer goes on.
//
// Most Maven builds are not Quarkus, and this runs before every Java build,
// so the first test reads one file and stats two: the pom must mention
// quarkus, or the build directory hold Quarkus' output. Only then are the
// pom and its parents read (no BOM), for the quarkus-maven-plugin in a
// <build><plugins>. A module that inherits the plugin from its parent and
// names nothing of Quarkus itself is recognised once it is packaged.
func (a *Analyzer) quarkus(dir string, opts settings) (p *layering.Plan, ok bool, err error) {
	if opts.Jar != "" {
		jar := opts.Jar
		if !filepath.IsAbs(jar) {
			jar = filepath.Join(dir, jar)
		}
		app := filepath.Dir(jar)
		if filepath.Base(jar) != "quarkus-run.jar" || !exists(filepath.Join(app, "quarkus", "quarkus-application.dat")) {
			return nil, false, nil
		}
		p, err := fastJarPlan(app, "", lang.Links{Root: app, Follow: opts.FollowSymlinks}, opts)
		if err == nil {
			rel, from := quarkusRelease(dir, p, projectInfo{}, classRelease{})
			setRelease(p, rel, from)
		}
		return p, true, err
	}
	proj := dir
	if opts.Module != "" {
		// `--module NAME` as a directory; other spellings of a module go
		// the Maven analyzer's way.
		proj = filepath.Join(dir, opts.Module)
	}
	pom, err := filepath.Abs(filepath.Join(proj, "pom.xml"))
	if err != nil {
		return nil, false, nil
	}
	proj = filepath.Dir(pom)
	src, err := os.ReadFile(pom)
	if err != nil {
		return nil, false, nil
	}
	target := filepath.Join(proj, "target")
	if !bytes.Contains(bytes.ToLower(src), []byte("quarkus")) &&
		!exists(filepath.Join(target, "quarkus-artifact.properties")) && !exists(filepath.Join(target, quarkusAppDir)) {
		return nil, false, nil
	}
	// Errors reading the lineage (a parent not downloaded yet, a malformed
	// pom) are the Maven analyzer's to report, or to repair by running Maven.
	lin, err := newLoader(opts.MavenRepo, opts.Env, opts.JavaSysProps).lineage(pom)
	if err != nil {
		return nil, false, nil
	}
	m := &Model{File: pom, Dir: proj, Properties: map[string]string{}}
	for i := len(lin) - 1; i >= 0; i-- {
		if pr := lin[i].r.p.Properties; pr != nil {
			for k, v := range pr.Entries {
				m.Properties[k] = strings.TrimSpace(v)
			}
		}
		if b := lin[i].r.tree.child("build"); b != nil {
			m.Plugins = append(b.children("plugins", "plugin"), m.Plugins...)
			if d := b.text("directory"); d != "" {
				target = d
			}
		}
	}
	// An aggregator builds no app of its own, whatever its plugins.
	if !hasQuarkusPlugin(m) || str(lin[0].r.p.Packaging) == "pom" {
		return nil, false, nil
	}
	target = buildDir(proj, target, m.Properties)
	if opts.MainClass != "" {
		return nil, true, fmt.Errorf("%s: a Quarkus app starts from Quarkus' own launcher: --main-class does not apply (Quarkus takes its main from @QuarkusMain or quarkus.package.main-class)", pom)
	}
	kind, artifact, err := quarkusOutput(pom, target)
	if err != nil {
		return nil, true, err
	}
	var inputs []string
	for _, lv := range lin {
		if opts.MavenRepo == "" || !strings.HasPrefix(lv.r.file, opts.MavenRepo+string(filepath.Separator)) {
			inputs = append(inputs, lv.r.file)
		}
	}
	if err := quarkusFresh(pom, proj, artifact, inputs); err != nil {
		return nil, true, err
	}
	links := lang.Links{Root: proj, Follow: opts.FollowSymlinks}
	switch kind {
	case "fast-jar":
		p, err = fastJarPlan(filepath.Dir(artifact), proj, links, opts)
	default:
		p, err = runnerJarPlan(artifact, proj, links, opts)
	}
	if err != nil {
		return nil, true, err
	}
	// The compiled classes say which release the project targets; the app
	// jar holds the same ones.
	var newest classRelease
	filepath.WalkDir(filepath.Join(target, "classes"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && topLevel(filepath.ToSlash(p)) {
			newest.readMajor(p)
		}
		return nil
	})
	rel, from := quarkusRelease(dir, p, projectInfo{File: pom, Release: javaRelease(m)}, newest)
	setRelease(p, rel, from)
	return p, true, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// hasQuarkusPlugin: io.quarkus or io.quarkus.platform's quarkus-maven-plugin
// (often spelled ${quarkus.platform.group-id}) among the build's plugins.
func hasQuarkusPlugin(m *Model) bool {
	for _, pl := range m.Plugins {
		if pl.text("artifactId") != "quarkus-maven-plugin" {
			continue
		}
		g := pl.text("groupId")
		for k, v := range m.Properties {
			g = strings.ReplaceAll(g, "${"+k+"}", v)
		}
		if g == "io.quarkus" || g == "io.quarkus.platform" || strings.HasPrefix(g, "${") {
			return true
		}
	}
	return false
}

// buildDir resolves a <build><directory> as Maven's default
// ${project.basedir}/target is resolved.
func buildDir(proj, d string, props map[string]string) string {
	for _, k := range []string{"${project.basedir}", "${basedir}", "${pom.basedir}"} {
		d = strings.ReplaceAll(d, k, proj)
	}
	for k, v := range props {
		d = strings.ReplaceAll(d, "${"+k+"}", v)
	}
	if !filepath.IsAbs(d) {
		d = filepath.Join(proj, d)
	}
	return filepath.Clean(d)
}

// quarkusOutput finds what the last `mvn package` wrote: Quarkus says so in
// target/quarkus-artifact.properties (the path of the runnable artifact);
// without it (older Quarkus), the newer of quarkus-app/quarkus-run.jar and
// a *-runner.jar. kind is "fast-jar" or "runner" (legacy-jar and uber-jar,
// told apart by the runner's Class-Path).
func quarkusOutput(pom, target string) (kind, artifact string, err error) {
	props, _ := readProperties(filepath.Join(target, "quarkus-artifact.properties"))
	switch t := props["type"]; {
	case t == "native" || t == "native-sources":
		return "", "", fmt.Errorf("%s: the last `mvn package` built a native executable (%s): langbuild lays out JVM apps; run `mvn package` without -Dnative", pom, filepath.Join(target, props["path"]))
	case props["path"] != "":
		artifact = filepath.Join(target, filepath.FromSlash(props["path"]))
	default:
		var newest time.Time
		cands, _ := filepath.Glob(filepath.Join(target, "*-runner.jar"))
		for _, c := range append([]string{filepath.Join(target, quarkusAppDir, "quarkus-run.jar")}, cands...) {
			if fi, err := os.Stat(c); err == nil && fi.ModTime().After(newest) {
				artifact, newest = c, fi.ModTime()
			}
		}
	}
	if artifact == "" || !exists(artifact) {
		return "", "", fmt.Errorf("%s: a Quarkus app with no packaged output in %s: run `mvn package` first (Quarkus lays the app out when it packages it)", pom, target)
	}
	if filepath.Base(artifact) == "quarkus-run.jar" {
		if !exists(filepath.Join(filepath.Dir(artifact), "quarkus", "quarkus-application.dat")) {
			return "", "", fmt.Errorf("%s: %s lacks quarkus/quarkus-application.dat: run `mvn package` again", pom, filepath.Dir(artifact))
		}
		return "fast-jar", artifact, nil
	}
	return "runner", artifact, nil
}

// readProperties reads a generated key=value file (no continuations, no
// escapes: Quarkus writes none in quarkus-artifact.properties).
func readProperties(p string) (map[string]string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' || l[0] == '!' {
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out, sc.Err()
}

// quarkusFresh refuses an artifact older than the sources it was built
// from: langbuild does not run the augmentation, so an image from stale
// output would silently lack the change. It compares modification times:
// the project's poms (not those of the local repository) and every file
// under src/main but the ones langbuild copies itself (src/main/langbuild,
// src/main/jib) and Quarkus' Dockerfiles (src/main/docker).
func quarkusFresh(pom, proj, artifact string, inputs []string) error {
	fi, err := os.Stat(artifact)
	if err != nil {
		return err
	}
	built := fi.ModTime()
	var newer string
	var at time.Time
	see := func(p string, t time.Time) {
		if t.After(built) && t.After(at) {
			newer, at = p, t
		}
	}
	for _, in := range inputs {
		if fi, err := os.Stat(in); err == nil {
			see(in, fi.ModTime())
		}
	}
	srcMain := filepath.Join(proj, "src", "main")
	filepath.WalkDir(srcMain, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if filepath.Dir(p) == srcMain && (d.Name() == "langbuild" || d.Name() == "jib" || d.Name() == "docker") {
				return filepath.SkipDir
			}
			return nil
		}
		if info, err := d.Info(); err == nil {
			see(p, info.ModTime())
		}
		return nil
	})
	if newer != "" {
		return fmt.Errorf("%s: the Quarkus app %s is older than %s (changed %s after it was built): run `mvn package` again",
			pom, relPath(proj, artifact), relPath(proj, newer), at.Sub(built).Round(time.Second))
	}
	return nil
}

var timestampedJar = regexp.MustCompile(`-\d{8}\.\d{6}-\d+(-[^/]*)?\.jar$`)

// snapshotJar tells a snapshot dependency from its file name, as Quarkus
// names them in lib/ (group.artifact-version[-classifier].jar).
func snapshotJar(name string) bool {
	return strings.Contains(name, "-SNAPSHOT") || timestampedJar.MatchString(name)
}

// splitDeps sorts jars into release and snapshot dependencies.
func splitDeps(es []layering.Entry) (release, snapshots []layering.Entry) {
	for _, e := range es {
		if snapshotJar(path.Base(e.Path)) {
			snapshots = append(snapshots, e)
		} else {
			release = append(release, e)
		}
	}
	return release, snapshots
}

// fastJarPlan lays out quarkus-app as Quarkus' own Dockerfile.jvm copies
// it (lib/, *.jar, app/, quarkus/), in layers from least to most often
// changed: release dependencies (lib/boot and lib/main, copied unchanged
// from the local repository, so a code change leaves them alone), snapshot
// dependencies, what the augmentation generates (quarkus/ and
// quarkus-run.jar, rewritten by every `mvn package`), and the app's own jar.
func fastJarPlan(app, proj string, links lang.Links, opts settings) (*layering.Plan, error) {
	deps, err := dirEntries(filepath.Join(app, "lib"), AppRoot+"/lib", links)
	if err != nil {
		return nil, err
	}
	release, snapshots := splitDeps(deps)
	generated, err := dirEntries(filepath.Join(app, "quarkus"), AppRoot+"/quarkus", links)
	if err != nil {
		return nil, err
	}
	jars, _ := filepath.Glob(filepath.Join(app, "*.jar"))
	for _, j := range jars {
		generated = append(generated, layering.Entry{Path: AppRoot + "/" + filepath.Base(j), Type: layering.TypeFile, Source: j})
	}
	own, err := dirEntries(filepath.Join(app, "app"), AppRoot+"/app", links)
	if err != nil {
		return nil, err
	}
	var extra []layering.Entry
	if proj != "" {
		if extra, err = extraFiles(proj, links); err != nil {
			return nil, err
		}
	}
	return &layering.Plan{
		Layers: []layering.Layer{
			{Name: "dependencies", Entries: release, Stable: true},
			{Name: "snapshot dependencies", Entries: snapshots, Stable: true},
			{Name: "quarkus generated", Entries: generated},
			{Name: "application", Entries: own},
			{Name: "extra files", Entries: extra},
		},
		Config: quarkusConfig(opts, QuarkusRunJar),
	}, nil
}

// runnerJarPlan lays out a legacy-jar (the runner and the target/lib its
// Class-Path names: dependencies, then the runner) or an uber-jar. An
// uber-jar is one file holding the dependencies and the app together, so it
// is one layer that every change moves; the fast-jar layout (Quarkus'
// default) is the one that layers well.
func runnerJarPlan(runner, proj string, links lang.Links, opts settings) (*layering.Plan, error) {
	zr, err := zip.OpenReader(runner)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", runner, err)
	}
	mf, err := readManifest(&zr.Reader)
	zr.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", runner, err)
	}
	var deps []layering.Entry
	for _, rel := range strings.Fields(mf["Class-Path"]) {
		if strings.Contains(rel, "://") || strings.HasPrefix(rel, "/") || strings.Contains(rel, "..") {
			return nil, fmt.Errorf("%s: Class-Path entry %q is not a path below the jar's directory", runner, rel)
		}
		src := filepath.Join(filepath.Dir(runner), filepath.FromSlash(rel))
		if !exists(src) {
			return nil, fmt.Errorf("%s: Class-Path names %s, which is missing: run `mvn package` again", runner, src)
		}
		deps = append(deps, layering.Entry{Path: path.Join(AppRoot, rel), Type: layering.TypeFile, Source: src})
	}
	release, snapshots := splitDeps(deps)
	extra, err := extraFiles(proj, links)
	if err != nil {
		return nil, err
	}
	jar := AppRoot + "/" + filepath.Base(runner)
	return &layering.Plan{
		Layers: []layering.Layer{
			{Name: "dependencies", Entries: release, Stable: true},
			{Name: "snapshot dependencies", Entries: snapshots, Stable: true},
			{Name: "application", Entries: []layering.Entry{{Path: jar, Type: layering.TypeFile, Source: runner}}},
			{Name: "extra files", Entries: extra},
		},
		Config: quarkusConfig(opts, jar),
	}, nil
}

func quarkusConfig(opts settings, jar string) layering.Config {
	return layering.Config{
		Entrypoint: append(append([]string{"java"}, opts.JVMFlags...), "-jar", jar),
		User:       "65532",
		WorkingDir: AppRoot,
	}
}

var quarkusCore = regexp.MustCompile(`^io\.quarkus\.quarkus-core-(\d+)\.`)

// quarkusRelease is projectRelease raised to what the Quarkus in the image
// needs (3.x: Java 17, 2.x: 11), read from the name of its quarkus-core jar.
func quarkusRelease(dir string, p *layering.Plan, info projectInfo, classes classRelease) (int, string) {
	rel, from := 0, ""
	if info.File != "" {
		rel, from = projectRelease(dir, info, classes)
	}
	for _, l := range p.Layers {
		for _, e := range l.Entries {
			m := quarkusCore.FindStringSubmatch(path.Base(e.Path))
			if m == nil {
				continue
			}
			need := 0
			switch major, _ := strconv.Atoi(m[1]); {
			case major >= 3:
				need = 17
			case major == 2:
				need = 11
			}
			if need > rel {
				rel, from = need, fmt.Sprintf("Quarkus %s needs Java %d (%s)", strings.TrimSuffix(strings.TrimPrefix(path.Base(e.Path), "io.quarkus.quarkus-core-"), ".jar"), need, relPath(dir, e.Source))
			}
		}
	}
	return rel, from
}

func setRelease(p *layering.Plan, rel int, from string) {
	p.Runtime = javaRuntime(rel, from)
}
