package java

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rule is one minimal graph for one of Maven's resolution rules. Its poms
// use the group G, which the test replaces with a group of the rule's own,
// so that all rules share one fixture repository and one Maven run.
type rule struct {
	name string
	// repo maps G:artifact:version to the pom's body (inside <project>);
	// the jar is written beside it unless the body says <packaging>pom.
	repo map[string]string
	// files holds the project: pom.xml and any other file (a parent in
	// parent/pom.xml, a file a profile checks), relative to its directory.
	files map[string]string
	// versions lists, per G:artifact, the versions the repository metadata
	// knows (for version ranges).
	versions map[string][]string
}

func project(body string) string {
	return "<project><modelVersion>4.0.0</modelVersion><groupId>G</groupId><artifactId>app</artifactId><version>1</version>" + body + "</project>"
}

func mgmt(ds ...string) string {
	return "<dependencyManagement>" + deps(ds...) + "</dependencyManagement>"
}

func excl(gas ...string) string {
	var b strings.Builder
	b.WriteString("<exclusions>")
	for _, ga := range gas {
		g, a, _ := strings.Cut(ga, ":")
		fmt.Fprintf(&b, "<exclusion><groupId>%s</groupId><artifactId>%s</artifactId></exclusion>", g, a)
	}
	b.WriteString("</exclusions>")
	return b.String()
}

func profile(id, activation, body string) string {
	return "<profiles><profile><id>" + id + "</id><activation>" + activation + "</activation>" + body + "</profile></profiles>"
}

// profiles writes one profile per {activation, dependency} pair.
func profiles(ps ...[2]string) string {
	var b strings.Builder
	b.WriteString("<profiles>")
	for i, p := range ps {
		fmt.Fprintf(&b, "<profile><id>p%d</id><activation>%s</activation>%s</profile>", i, p[0], deps(p[1]))
	}
	b.WriteString("</profiles>")
	return b.String()
}

var rules = []rule{
	{name: "scope-of-losing-occurrence", // the graph: X stays test
		repo:  map[string]string{"G:a:1": deps("G:x:1"), "G:b:1": deps("G:c:1"), "G:c:1": deps("G:x:1"), "G:x:1": "", "G:r:1": ""},
		files: map[string]string{"pom.xml": project(deps("G:a:1:test", "G:b:1:test", "G:r:1"))}},
	{name: "scope-widened-by-deeper-compile-path",
		repo:  map[string]string{"G:t:1": deps("G:x:1"), "G:a:1": deps("G:b:1"), "G:b:1": deps("G:x:2"), "G:x:1": "", "G:x:2": ""},
		files: map[string]string{"pom.xml": project(deps("G:t:1:test", "G:a:1"))}},
	{name: "test-jars-of-junit-shape", // test dependencies sharing transitive ones, one also reached at runtime
		repo: map[string]string{"G:jupiter:1": deps("G:api:1", "G:params:1"), "G:params:1": deps("G:api:1"), "G:api:1": deps("G:opentest:1", "G:commons:1"),
			"G:opentest:1": "", "G:commons:1": "", "G:mockito:1": deps("G:bytebuddy:1", "G:objenesis:1"), "G:bytebuddy:1": "", "G:objenesis:1": "",
			"G:lib:1": deps("G:bytebuddy:1")},
		files: map[string]string{"pom.xml": project(deps("G:jupiter:1:test", "G:mockito:1:test", "G:lib:1"))}},
	{name: "nearest-then-first-declared",
		repo: map[string]string{"G:a:1": deps("G:b:1"), "G:b:1": deps("G:x:1"), "G:f:1": deps("G:x:2"), "G:p:1": deps("G:y:1"), "G:q:1": deps("G:y:2"),
			"G:x:1": "", "G:x:2": "", "G:y:1": "", "G:y:2": ""},
		files: map[string]string{"pom.xml": project(deps("G:a:1", "G:f:1", "G:p:1", "G:q:1"))}},
	{name: "runtime-and-provided-chains",
		repo: map[string]string{"G:rt:1": deps("G:k:1", "G:kr:1:runtime"), "G:k:1": deps("G:kk:1"), "G:kk:1": "", "G:kr:1": "",
			"G:pv:1": deps("G:pk:1"), "G:pk:1": "", "G:c:1": deps("G:t:1:test", "G:p:1:provided", "G:o:1::<optional>true</optional>"),
			"G:t:1": "", "G:p:1": "", "G:o:1": ""},
		files: map[string]string{"pom.xml": project(deps("G:rt:1:runtime", "G:pv:1:provided", "G:c:1", "G:o:1::<optional>true</optional>"))}},
	{name: "exclusions-and-wildcards",
		repo: map[string]string{"G:a:1": deps("G:b:1", "G:c:1", "H:d:1"), "G:b:1": deps("G:x:1"), "G:c:1": deps("G:y:1"), "H:d:1": "", "G:x:1": "", "G:y:1": "",
			"G:w:1": deps("G:z:1", "H:d:1"), "G:z:1": "", "G:v:1": deps("G:u:1"), "G:u:1": deps("G:uu:1"), "G:uu:1": ""},
		files: map[string]string{"pom.xml": project(deps(
			"G:a:1::"+excl("G:x", "*:c"),
			"G:w:1::"+excl("*:*"),
			"G:v:1::"+excl("G:uu"),
		))}},
	{name: "management-from-depth-two",
		repo:  map[string]string{"G:a:1": deps("G:x:1", "G:y:1"), "G:x:1": "", "G:x:9": "", "G:y:1": deps("G:z:1"), "G:y:2": deps("G:z:1"), "G:z:1": "", "G:d:1": "", "G:d:5": ""},
		files: map[string]string{"pom.xml": project(mgmt("G:x:9", "G:d:5", "G:y:2::"+excl("G:z")) + deps("G:a:1", "G:d:1"))}},
	{name: "managed-scopes",
		repo: map[string]string{"G:a:1": deps("G:mt:1", "G:mp:1", "G:mr:1", "G:mc:1"), "G:mt:1": deps("G:mtk:1"), "G:mtk:1": "", "G:mp:1": "", "G:mr:1": deps("G:mrk:1"), "G:mrk:1": "",
			"G:mc:1": "", "G:t:1": deps("G:tc:1"), "G:tc:1": ""},
		files: map[string]string{"pom.xml": project(mgmt("G:mt:1:test", "G:mp:1:provided", "G:mr:1:runtime", "G:tc:1:compile") + deps("G:a:1", "G:t:1:test"))}},
	{name: "dependency-own-management-ignored",
		repo: map[string]string{"G:a:1": mgmt("G:x:2", "G:y:2") + deps("G:x:1", "G:b:1"), "G:b:1": deps("G:x:1", "G:y:1"),
			"G:x:1": "", "G:x:2": "", "G:y:1": "", "G:y:2": ""},
		files: map[string]string{"pom.xml": project(deps("G:a:1"))}},
	{name: "relocations",
		repo: map[string]string{
			"G:old:1":   "<distributionManagement><relocation><artifactId>new</artifactId></relocation></distributionManagement>",
			"G:new:1":   deps("G:k:1"),
			"G:k:1":     "",
			"G:olda:2":  "<distributionManagement><relocation><groupId>H</groupId><artifactId>moved</artifactId><version>3</version></relocation></distributionManagement>",
			"H:moved:3": "",
			"G:a:1":     deps("G:olda:2"),
		},
		files: map[string]string{"pom.xml": project(deps("G:old:1", "G:a:1"))}},
	{name: "types-and-classifiers",
		repo: map[string]string{
			"G:tj:1":     "",
			"G:cl:1":     "",
			"G:agg:1":    "<packaging>pom</packaging>" + deps("G:viapom:1"),
			"G:viapom:1": "",
			"G:n:1":      deps("G:cl:1::<classifier>linux-x86_64</classifier>"),
			"G:ejb:1":    "",
		},
		files: map[string]string{"pom.xml": project(deps(
			"G:tj:1::<type>test-jar</type>",
			"G:cl:1",
			"G:cl:1::<classifier>linux-x86_64</classifier>",
			"G:agg:1::<type>pom</type>",
			"G:n:1",
			"G:ejb:1::<type>ejb</type>",
			"G:ejb:1::<type>ejb-client</type>",
		))}},
	{name: "version-ranges",
		repo: map[string]string{"G:a:1": deps("G:x:[1.0,2.0)"), "G:x:1.0": "", "G:x:1.5": "", "G:x:1.10": "", "G:x:2.0": "",
			"G:y:1.0": "", "G:y:1.1-beta-1": "", "G:y:1.1": "", "G:z:3": ""},
		versions: map[string][]string{"G:x": {"1.0", "1.5", "1.10", "2.0"}, "G:y": {"1.0", "1.1-beta-1", "1.1"}, "G:z": {"3"}},
		files:    map[string]string{"pom.xml": project(deps("G:a:1", "G:y:[1.0,)", "G:z:[3]"))}},
	{name: "parent-properties-and-order",
		repo: map[string]string{"G:x:1": "", "G:x:2": "", "G:y:1": "", "G:z:1": "", "G:z:2": ""},
		files: map[string]string{
			"parent/pom.xml": "<project><modelVersion>4.0.0</modelVersion><groupId>G</groupId><artifactId>parent</artifactId><version>1</version><packaging>pom</packaging>" +
				"<properties><x.version>1</x.version><z.version>1</z.version></properties>" +
				mgmt("G:z:${z.version}") + deps("G:x:${x.version}", "G:y:1") + "</project>",
			"pom.xml": "<project><modelVersion>4.0.0</modelVersion><parent><groupId>G</groupId><artifactId>parent</artifactId><version>1</version><relativePath>parent/pom.xml</relativePath></parent>" +
				"<artifactId>app</artifactId><properties><x.version>2</x.version><z.version>2</z.version></properties>" + deps("G:z:") + "</project>",
		}},
	{name: "bom-import-order",
		repo: map[string]string{
			"G:bom1:1":   "<packaging>pom</packaging>" + mgmt("G:x:1", "G:y:1"),
			"G:bom2:1":   "<packaging>pom</packaging>" + mgmt("G:x:2", "G:y:2", "G:z:2"),
			"G:pbom:1":   "<packaging>pom</packaging>" + mgmt("G:z:3", "G:w:3"),
			"G:parent:1": "<packaging>pom</packaging>" + mgmt("G:y:3", "G:pbom:1:import:<type>pom</type>"),
			"G:x:1":      "", "G:x:2": "", "G:y:1": "", "G:y:2": "", "G:y:3": "", "G:z:2": "", "G:z:3": "", "G:w:3": "",
		},
		files: map[string]string{"pom.xml": "<project><modelVersion>4.0.0</modelVersion><parent><groupId>G</groupId><artifactId>parent</artifactId><version>1</version><relativePath/></parent><artifactId>app</artifactId>" +
			mgmt("G:bom1:1:import:<type>pom</type>", "G:bom2:1:import:<type>pom</type>") + deps("G:x:", "G:y:", "G:z:", "G:w:") + "</project>"}},
	{name: "profiles",
		repo: map[string]string{"G:jdk:1": "", "G:nojdk:1": "", "G:os:1": "", "G:osfam:1": "", "G:prop:1": "", "G:file:1": "", "G:nofile:1": "", "G:default:1": "", "G:x:1": "",
			"G:jdkopen:1": "", "G:jdkunion:1": "", "G:jdknot:1": "", "G:javahome:1": "",
			"G:lib:1": "<profiles><profile><id>j</id><activation><jdk>[11,)</jdk></activation>" + deps("G:x:1") + "</profile></profiles>"},
		files: map[string]string{
			"marker.txt": "x",
			"pom.xml": project(deps("G:lib:1") + profiles(
				[2]string{`<jdk>[11,)</jdk>`, "G:jdk:1"},
				[2]string{`<jdk>(,1.8]</jdk>`, "G:nojdk:1"},
				[2]string{`<os><name>Linux</name><arch>amd64</arch></os>`, "G:os:1"},
				[2]string{`<os><family>Unix</family></os>`, "G:osfam:1"},
				[2]string{`<property><name>!skipThat</name></property>`, "G:prop:1"},
				[2]string{`<file><exists>${basedir}/marker.txt</exists></file>`, "G:file:1"},
				[2]string{`<file><missing>marker.txt</missing></file>`, "G:nofile:1"},
				[2]string{`<activeByDefault>true</activeByDefault>`, "G:default:1"},
				[2]string{`<jdk>[9</jdk>`, "G:jdkopen:1"},
				[2]string{`<jdk>(,1.8],[11,)</jdk>`, "G:jdkunion:1"},
				[2]string{`<jdk>!1.8</jdk>`, "G:jdknot:1"},
				[2]string{`<file><exists>${java.home}/bin/java</exists></file>`, "G:javahome:1"},
			)),
		}},
	{name: "os-profiles",
		repo: map[string]string{"G:famlinux:1": "", "G:famnotwin:1": "", "G:archx86:1": "", "G:archamd:1": "", "G:famwin:1": "", "G:famunixarch:1": ""},
		files: map[string]string{"pom.xml": project(profiles(
			[2]string{`<os><family>Linux</family></os>`, "G:famlinux:1"},
			[2]string{`<os><family>!windows</family></os>`, "G:famnotwin:1"},
			[2]string{`<os><arch>x86_64</arch></os>`, "G:archx86:1"},
			[2]string{`<os><arch>amd64</arch></os>`, "G:archamd:1"},
			[2]string{`<os><family>windows</family></os>`, "G:famwin:1"},
			[2]string{`<os><family>unix</family><arch>amd64</arch></os>`, "G:famunixarch:1"},
		))}},
	{name: "active-by-default-alone",
		repo:  map[string]string{"G:default:1": "", "G:never:1": ""},
		files: map[string]string{"pom.xml": project(profile("h", "<activeByDefault>true</activeByDefault>", deps("G:default:1")))}},
	{name: "declared-twice",
		repo:  map[string]string{"G:x:1": "", "G:x:2": "", "G:y:1": ""},
		files: map[string]string{"pom.xml": project(deps("G:x:1", "G:y:1", "G:x:2"))}},
	{name: "cycles",
		repo:  map[string]string{"G:a:1": deps("G:b:1"), "G:b:1": deps("G:a:1", "G:c:1"), "G:c:1": ""},
		files: map[string]string{"pom.xml": project(deps("G:a:1"))}},
	{name: "direct-dependency-managed-exclusions",
		repo:  map[string]string{"G:a:1": deps("G:x:1", "G:y:1"), "G:x:1": "", "G:y:1": ""},
		files: map[string]string{"pom.xml": project(mgmt("G:a:1::"+excl("G:x")) + deps("G:a:1::"+excl("G:y")))}},
	{name: "dependency-pom-inheritance",
		repo: map[string]string{
			"G:lparent:1": "<packaging>pom</packaging><properties><k.version>2</k.version></properties>" + mgmt("G:k:${k.version}") + deps("G:fromparent:${project.version}"),
			"G:lib:7":     "", // replaced below: a child of lparent
			"G:k:1":       "", "G:k:2": "", "G:k:3": "", "G:fromparent:7": "",
			"G:uv:3": deps("G:uvk:${version}", "G:uvp:${project.version}"), "G:uvk:3": "", "G:uvp:3": "",
		},
		files: map[string]string{"pom.xml": project(deps("G:lib:7", "G:uv:3"))}},
}

// childOf is a repository pom with a parent (fakeRepo.add writes none).
func childOf(parentGAV, gav, body string) string {
	p := strings.Split(parentGAV, ":")
	c := strings.Split(gav, ":")
	return fmt.Sprintf(`<project><modelVersion>4.0.0</modelVersion><parent><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></parent><artifactId>%s</artifactId><version>%s</version>%s</project>`,
		p[0], p[1], p[2], c[1], c[2], body)
}

// writeRules lays every rule out under dir (one module each) with its
// artifacts in repo, and returns the module names.
func writeRules(t *testing.T, dir, repo string) []string {
	t.Helper()
	var mods []string
	for i, r := range rules {
		grp := fmt.Sprintf("rule%02d", i)
		sub := func(s string) string {
			s = strings.ReplaceAll(s, "<groupId>G</groupId>", "<groupId>"+grp+"</groupId>")
			return strings.ReplaceAll(s, "<groupId>H</groupId>", "<groupId>"+grp+".h</groupId>")
		}
		gav := func(s string) string {
			if g, rest, ok := strings.Cut(s, ":"); ok && (g == "G" || g == "H") {
				if g == "H" {
					return grp + ".h:" + rest
				}
				return grp + ":" + rest
			}
			return s
		}
		fr := &fakeRepo{t: t, dir: repo}
		for k, body := range r.repo {
			if r.name == "dependency-pom-inheritance" && k == "G:lib:7" {
				writePom(t, repo, gav(k), sub(childOf("G:lparent:1", "G:lib:7", deps("G:k:"))))
				continue
			}
			if strings.Contains(body, "<packaging>pom</packaging>") {
				writePom(t, repo, gav(k), sub(fmt.Sprintf("<project><modelVersion>4.0.0</modelVersion><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version>%s</project>",
					strings.Split(gav(k), ":")[0], strings.Split(k, ":")[1], strings.Split(k, ":")[2], body)))
				continue
			}
			p := strings.Split(k, ":")
			fr.add(gav(k), sub(body), p[1]+"-"+p[2]+".jar", p[1]+"-"+p[2]+"-tests.jar", p[1]+"-"+p[2]+"-linux-x86_64.jar", p[1]+"-"+p[2]+"-client.jar")
		}
		for ga, vs := range r.versions {
			g, a, _ := strings.Cut(gav(ga), ":")
			var b strings.Builder
			fmt.Fprintf(&b, "<metadata><groupId>%s</groupId><artifactId>%s</artifactId><versioning><versions>", g, a)
			for _, v := range vs {
				fmt.Fprintf(&b, "<version>%s</version>", v)
			}
			b.WriteString("</versions></versioning></metadata>")
			d := filepath.Join(repo, strings.ReplaceAll(g, ".", "/"), a)
			os.MkdirAll(d, 0o755)
			if err := os.WriteFile(filepath.Join(d, "maven-metadata-local.xml"), []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mod := fmt.Sprintf("%02d-%s", i, r.name)
		for name, content := range r.files {
			p := filepath.Join(dir, mod, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(sub(content)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mods = append(mods, mod)
	}
	return mods
}

func writePom(t *testing.T, repo, gav, pom string) {
	t.Helper()
	p := strings.Split(gav, ":")
	d := filepath.Join(repo, strings.ReplaceAll(p[0], ".", "/"), p[1], p[2])
	os.MkdirAll(d, 0o755)
	if err := os.WriteFile(filepath.Join(d, p[1]+"-"+p[2]+".pom"), []byte(pom), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, p[1]+"-"+p[2]+".jar"), []byte("jar "+gav), 0o644)
}

// TestMavenRules resolves one minimal graph per resolution rule natively
// and compares the classpath, in order, with what Maven itself resolves.
func TestMavenRules(t *testing.T) {
	mvn, sys := realMaven(t)
	dir := t.TempDir()
	repo := t.TempDir()
	mods := writeRules(t, dir, repo)
	aggregator(t, dir, mods)
	tail := ""
	if home, err := os.UserHomeDir(); err == nil {
		tail = LocalRepository(home, "")
	}
	want, log := mavenClasspaths(t, mvn, dir, repo, tail, false)
	for _, mod := range mods {
		t.Run(mod, func(t *testing.T) {
			w := want[filepath.Join(dir, mod)]
			if w == nil {
				t.Fatalf("Maven did not resolve %s:\n%s", mod, log)
			}
			got, err := nativeClasspath(repo, filepath.Join(dir, mod, "pom.xml"), sys)
			if err != nil {
				t.Fatalf("native resolver: %v", err)
			}
			if d := firstDifference(got, w); d != "" {
				t.Errorf("%s\n%s\nlangbuild: %v\nMaven:     %v", d, setDifference(got, w), shorts(got), shorts(w))
			}
		})
	}
}

func shorts(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = short(p)
	}
	return out
}

// TestMavenCorpus resolves real artifacts from the Maven repository, each
// the one dependency of a generated pom, natively and with Maven, and
// compares the classpaths in order. The corpus is testdata/corpus.txt;
// LANGBUILD_CORPUS=all runs all of it (scripts/java-corpus.sh), otherwise a
// fixed sample runs. Both read and fill the user's local repository.
func TestMavenCorpus(t *testing.T) {
	mvn, sys := realMaven(t)
	entries := readCorpus(t, filepath.Join("testdata", "corpus.txt"))
	if os.Getenv("LANGBUILD_CORPUS") != "all" {
		entries = corpusSample(entries, 10)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	repo := LocalRepository(home, "")
	dir := t.TempDir()
	var mods []string
	for i, e := range entries {
		p := strings.Split(e, ":")
		if len(p) < 3 {
			t.Fatalf("corpus entry %q: want groupId:artifactId:version[:scope[:type[:classifier]]]", e)
		}
		extra := ""
		for j, tag := range []string{"scope", "type", "classifier"} {
			if len(p) > 3+j && p[3+j] != "" {
				extra += "<" + tag + ">" + p[3+j] + "</" + tag + ">"
			}
		}
		mod := fmt.Sprintf("m%03d", i)
		pom := fmt.Sprintf(`<project><modelVersion>4.0.0</modelVersion><groupId>corpus</groupId><artifactId>%s</artifactId><version>1</version>
<properties><maven.compiler.release>17</maven.compiler.release></properties>
<dependencies><dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version>%s</dependency></dependencies></project>`,
			mod, p[0], p[1], p[2], extra)
		os.MkdirAll(filepath.Join(dir, mod), 0o755)
		if err := os.WriteFile(filepath.Join(dir, mod, "pom.xml"), []byte(pom), 0o644); err != nil {
			t.Fatal(err)
		}
		mods = append(mods, mod)
	}
	aggregator(t, dir, mods)
	want, log := mavenClasspaths(t, mvn, dir, repo, "", false)
	equal, compared := 0, 0
	for i, mod := range mods {
		w := want[filepath.Join(dir, mod)]
		if w == nil {
			t.Errorf("%s: Maven could not resolve it (see its log below)", entries[i])
			continue
		}
		compared++
		got, err := nativeClasspath(repo, filepath.Join(dir, mod, "pom.xml"), sys)
		if err != nil {
			t.Errorf("%s: native resolver: %v", entries[i], err)
			continue
		}
		if d := firstDifference(got, w); d != "" {
			t.Errorf("%s: %s\n  %s", entries[i], d, setDifference(got, w))
			continue
		}
		equal++
	}
	t.Logf("corpus: %d/%d equal, in order (%d entries, %d resolved by Maven)", equal, len(entries), len(entries), compared)
	if t.Failed() && compared < len(entries) {
		t.Logf("Maven's output:\n%s", log)
	}
}

// corpusSample takes n entries spread evenly over the corpus.
func corpusSample(entries []string, n int) []string {
	if len(entries) <= n {
		return entries
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, entries[i*len(entries)/n])
	}
	return out
}
