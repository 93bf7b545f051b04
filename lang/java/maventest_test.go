package java

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The conformance tests compare the native resolver with Maven itself: the
// expected classpath of every case is what `mvn dependency:build-classpath
// -DincludeScope=runtime` prints for the same poms, never a list typed in.

const dependencyPlugin = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

// realMaven returns the mvn to compare with: $LANGBUILD_MVN, else mvn on
// PATH, which must be Maven 3.9 or later (maven-resolver 1.9). Without one
// the test is skipped, unless LANGBUILD_REQUIRE_MAVEN is set (scripts/test.sh
// sets it, having installed Maven), and then it fails.
func realMaven(t *testing.T) (mvn string, sys map[string]string) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("LANGBUILD_REQUIRE_MAVEN") != "" {
		fail = t.Fatalf
	}
	mvn = os.Getenv("LANGBUILD_MVN")
	if mvn == "" {
		p, err := exec.LookPath("mvn")
		if err != nil {
			fail("no mvn on PATH (scripts/test.sh installs Maven 3.9)")
			return
		}
		mvn = p
	}
	out, err := exec.Command(mvn, "-v").CombinedOutput()
	if err != nil {
		fail("%s -v: %v\n%s", mvn, err, out)
		return
	}
	m := regexp.MustCompile(`Apache Maven (\d+)\.(\d+)\.(\d+)`).FindSubmatch(out)
	if m == nil || string(m[1]) == "3" && len(m[2]) == 1 && m[2][0] < '9' {
		fail("%s is not Maven 3.9 or later:\n%s", mvn, out)
		return
	}
	jv := regexp.MustCompile(`Java version: (\S+),.*runtime: (\S+)`).FindSubmatch(out)
	if jv == nil {
		fail("no Java version in %s -v:\n%s", mvn, out)
		return
	}
	// The system properties Maven's profile activation sees.
	return mvn, map[string]string{"java.version": string(jv[1]), "java.home": string(jv[2]), "os.name": "Linux", "os.arch": "amd64"}
}

// mavenClasspaths runs build-classpath once over the aggregator pom in dir
// (-fae, so one failing module does not hide the others) and returns each
// module's classpath by module directory; a module Maven could not resolve
// maps to nil. repo is the local repository, tail a read-only one behind
// it (Maven's chained local repository) or "".
func mavenClasspaths(t *testing.T, mvn, dir, repo, tail string, offline bool) (map[string][]string, string) {
	t.Helper()
	args := []string{"-B", "-fae", "-Dstyle.color=never", "-Dmaven.repo.local=" + repo,
		dependencyPlugin + ":build-classpath", "-DincludeScope=runtime", "-Dmdep.outputFile=target/classpath.txt"}
	if tail != "" {
		args = append(args, "-Dmaven.repo.local.tail="+tail)
	}
	if offline {
		args = append(args, "-o")
	}
	cmd := exec.Command(mvn, args...)
	cmd.Dir = dir
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	out := map[string][]string{}
	mods, _ := filepath.Glob(filepath.Join(dir, "*", "pom.xml"))
	for _, p := range mods {
		m := filepath.Dir(p)
		b, rerr := os.ReadFile(filepath.Join(m, "target", "classpath.txt"))
		if rerr != nil {
			out[m] = nil
			continue
		}
		cp := []string{} // empty, not nil: resolved to nothing
		for _, f := range strings.Split(strings.TrimSpace(string(b)), ":") {
			// build-classpath lists pom-typed dependencies' .pom files,
			// which no classpath (Maven's runtime classpath, Jib's) takes.
			if f != "" && !strings.HasSuffix(f, ".pom") {
				cp = append(cp, f)
			}
		}
		out[m] = cp
	}
	if err != nil && len(out) == 0 {
		t.Fatalf("mvn build-classpath in %s: %v\n%s", dir, err, log.String())
	}
	return out, log.String()
}

// aggregator writes a pom listing the modules (directories under dir).
func aggregator(t *testing.T, dir string, modules []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("<project><modelVersion>4.0.0</modelVersion><groupId>conformance</groupId><artifactId>all</artifactId><version>1</version><packaging>pom</packaging><modules>")
	for _, m := range modules {
		fmt.Fprintf(&b, "<module>%s</module>", m)
	}
	b.WriteString("</modules></project>")
	if err := os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nativeClasspath resolves the pom with the native resolver only (no
// Maven fallback): an error says what it could not do.
func nativeClasspath(repo, pom string, sys map[string]string) ([]string, error) {
	l := newLoader(repo, nil, sys)
	m, err := l.load(pom)
	if err != nil {
		return nil, err
	}
	if l.workspace, err = l.reactor(pom); err != nil {
		return nil, err
	}
	arts, _, err := l.resolve(m)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range arts {
		out = append(out, a.File)
	}
	return out, nil
}

// firstDifference describes where two classpaths part.
func firstDifference(got, want []string) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("entry %d: langbuild %s, Maven %s (langbuild %d entries, Maven %d)", i, short(g), short(w), len(got), len(want))
		}
	}
	return ""
}

// short trims a local repository path to group/artifact/version/file.
func short(p string) string {
	if p == "" {
		return "(nothing)"
	}
	parts := strings.Split(p, string(filepath.Separator))
	if len(parts) > 4 {
		return strings.Join(parts[len(parts)-4:], "/")
	}
	return p
}

// setDifference lists what only one side has, for a failure message.
func setDifference(got, want []string) string {
	in := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	g, w := in(got), in(want)
	var extra, missing []string
	for _, x := range got {
		if !w[x] {
			extra = append(extra, short(x))
		}
	}
	for _, x := range want {
		if !g[x] {
			missing = append(missing, short(x))
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	return fmt.Sprintf("only langbuild: %v; only Maven: %v", extra, missing)
}

// readCorpus reads groupId:artifactId:version[:scope[:type[:classifier]]]
// lines, skipping comments.
func readCorpus(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}
