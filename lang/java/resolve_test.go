package java

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRepo writes poms (and empty jars) into a local repository layout.
type fakeRepo struct {
	t   *testing.T
	dir string
}

func newFakeRepo(t *testing.T) *fakeRepo { return &fakeRepo{t: t, dir: t.TempDir()} }

// add writes g:a:v's pom with the given body (inside <project>), and its jar.
func (r *fakeRepo) add(gav, body string, files ...string) {
	r.t.Helper()
	p := strings.Split(gav, ":")
	g, a, v := p[0], p[1], p[2]
	dir := filepath.Join(r.dir, strings.ReplaceAll(g, ".", "/"), a, v)
	os.MkdirAll(dir, 0o755)
	pom := fmt.Sprintf("<project><modelVersion>4.0.0</modelVersion><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version>%s</project>", g, a, v, body)
	os.WriteFile(filepath.Join(dir, a+"-"+v+".pom"), []byte(pom), 0o644)
	if len(files) == 0 {
		files = []string{a + "-" + v + ".jar"}
	}
	for _, f := range files {
		os.WriteFile(filepath.Join(dir, f), []byte("jar "+gav), 0o644)
	}
}

func deps(ds ...string) string {
	var b strings.Builder
	b.WriteString("<dependencies>")
	for _, d := range ds {
		// g:a:v[:scope[:extra xml]]
		p := strings.SplitN(d, ":", 5)
		fmt.Fprintf(&b, "<dependency><groupId>%s</groupId><artifactId>%s</artifactId>", p[0], p[1])
		if p[2] != "" {
			fmt.Fprintf(&b, "<version>%s</version>", p[2])
		}
		if len(p) > 3 && p[3] != "" {
			fmt.Fprintf(&b, "<scope>%s</scope>", p[3])
		}
		if len(p) > 4 {
			b.WriteString(p[4])
		}
		b.WriteString("</dependency>")
	}
	b.WriteString("</dependencies>")
	return b.String()
}

func (r *fakeRepo) project(body string) string {
	dir := r.t.TempDir()
	pom := "<project><modelVersion>4.0.0</modelVersion><groupId>test</groupId><artifactId>root</artifactId><version>1</version>" + body + "</project>"
	os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(pom), 0o644)
	return filepath.Join(dir, "pom.xml")
}

func (r *fakeRepo) resolve(pom string) ([]string, error) {
	l := newLoader(r.dir, nil, map[string]string{"java.version": "17.0.1"})
	m, err := l.load(pom)
	if err != nil {
		return nil, err
	}
	arts, _, err := l.resolve(m)
	var out []string
	for _, a := range arts {
		out = append(out, strings.TrimPrefix(a.File, r.dir+"/")+"@"+a.Scope)
	}
	return out, err
}

func TestResolverRules(t *testing.T) {
	r := newFakeRepo(t)
	r.add("g:a:1", deps("g:b:1", "g:opt:1::<optional>true</optional>", "g:tst:1:test", "g:prv:1:provided", "g:w:1"))
	r.add("g:b:1", deps("g:x:1"))
	r.add("g:x:1", "")
	r.add("g:x:2", "")
	r.add("g:f:1", deps("g:x:2"))
	r.add("g:opt:1", "")
	r.add("g:tst:1", "")
	r.add("g:prv:1", "")
	r.add("g:w:1", "")
	r.add("g:w:9", "")
	r.add("g:p:1", deps("g:y:1"))
	r.add("g:q:1", deps("g:y:2"))
	r.add("g:y:1", "")
	r.add("g:y:2", "")
	r.add("g:rr:1", deps("g:z:1", "h:zz:1"))
	r.add("g:z:1", "")
	r.add("h:zz:1", "")
	r.add("g:t:1", deps("g:h:1"))
	r.add("g:u:1", deps("g:h:2"))
	r.add("g:h:1", "")
	r.add("g:h:2", "")
	r.add("g:rt:1", deps("g:k:1"))
	r.add("g:k:1", "")
	r.add("g:old:1", "<distributionManagement><relocation><groupId>g</groupId><artifactId>new</artifactId></relocation></distributionManagement>")
	r.add("g:new:1", "")
	r.add("g:cls:1", "", "cls-1.jar", "cls-1-linux.jar")
	r.add("g:agg:1", "<packaging>pom</packaging>"+deps("g:viapom:1"))
	r.add("g:viapom:1", "")

	pom := r.project(`<dependencyManagement><dependencies>
	    <dependency><groupId>g</groupId><artifactId>w</artifactId><version>9</version></dependency>
	  </dependencies></dependencyManagement>` + deps(
		"g:t:1:test", // test-scoped, but mediates h below
		"g:a:1",
		"g:f:1",
		"g:p:1",
		"g:q:1",
		"g:rr:1::<exclusions><exclusion><groupId>*</groupId><artifactId>zz</artifactId></exclusion><exclusion><groupId>g</groupId><artifactId>z</artifactId></exclusion></exclusions>",
		"g:u:1",
		"g:rt:1:runtime",
		"g:old:1",
		"g:cls:1::<classifier>linux</classifier>",
		"g:agg:1::<type>pom</type>",
	))
	got, err := r.resolve(pom)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"g/h/1/h-1.jar@compile", // nearest (depth 2) and first declared (under t); scope widened to u's compile
		"g/a/1/a-1.jar@compile",
		"g/b/1/b-1.jar@compile",
		"g/w/9/w-9.jar@compile", // managed at depth 2
		"g/f/1/f-1.jar@compile",
		"g/x/2/x-2.jar@compile", // depth 2 under f beats depth 3 under a>b
		"g/p/1/p-1.jar@compile",
		"g/y/1/y-1.jar@compile", // first declaration wins at equal depth
		"g/q/1/q-1.jar@compile",
		"g/rr/1/rr-1.jar@compile", // z and zz excluded (one by wildcard)
		"g/u/1/u-1.jar@compile",
		"g/rt/1/rt-1.jar@runtime",
		"g/k/1/k-1.jar@runtime", // compile below runtime is runtime
		"g/new/1/new-1.jar@compile",
		"g/cls/1/cls-1-linux.jar@compile",
		"g/viapom/1/viapom-1.jar@compile", // the pom-typed dependency has no file, its dependencies do
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("classpath:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestResolverFallbacks(t *testing.T) {
	r := newFakeRepo(t)
	// A range with no metadata to choose from: Maven must fetch it.
	r.add("g:ranged:1", deps("g:x:[1,2)"))
	_, err := r.resolve(r.project(deps("g:ranged:1")))
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "maven-metadata") {
		t.Errorf("version range without metadata: %v", err)
	}
	_, err = r.resolve(r.project(deps("g:absent:1")))
	if !errors.Is(err, ErrMissing) {
		t.Errorf("missing pom: %v", err)
	}
	r.add("g:nojar:1", "", "other.txt")
	_, err = r.resolve(r.project(deps("g:nojar:1")))
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "g:nojar:1") {
		t.Errorf("missing jar: %v", err)
	}
}

func TestPomErrors(t *testing.T) {
	r := newFakeRepo(t)
	write := func(s string) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(s), 0o644)
		return filepath.Join(dir, "pom.xml")
	}
	for _, tc := range []struct {
		name, pom, want string
	}{
		{"malformed", "<project>\n<groupId>g</groupId>\n<artifactId>a</artifactId>\n<version>1</version\n</project>\n", "pom.xml:5: malformed XML"},
		{"not a pom", "<settings></settings>", "not a Maven pom"},
		{"undefined property", "<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>\n<dependencies><dependency><groupId>g</groupId><artifactId>b</artifactId>\n<version>${nope.version}</version></dependency></dependencies></project>", "pom.xml:3: ${nope.version} is not defined"},
		{"missing parent", "<project>\n<parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version></parent><artifactId>a</artifactId></project>", "parent g:p:1 is neither at ../pom.xml nor in the local repository"},
		{"no version", "<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><dependencies><dependency><groupId>g</groupId>\n<artifactId>b</artifactId></dependency></dependencies></project>", "pom.xml:2: dependency g:b has no version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.resolve(write(tc.pom))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParentAndBOM(t *testing.T) {
	r := newFakeRepo(t)
	r.add("g:bom:1", `<packaging>pom</packaging><dependencyManagement><dependencies>
	  <dependency><groupId>g</groupId><artifactId>lib</artifactId><version>5</version></dependency>
	</dependencies></dependencyManagement>`)
	r.add("g:lib:5", "")
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "app"), 0o755)
	os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(`<project><groupId>g</groupId><artifactId>parent</artifactId><version>${revision}</version><packaging>pom</packaging>
	  <properties><revision>3.0</revision><bom.version>1</bom.version></properties>
	  <dependencyManagement><dependencies>
	    <dependency><groupId>g</groupId><artifactId>bom</artifactId><version>${bom.version}</version><type>pom</type><scope>import</scope></dependency>
	  </dependencies></dependencyManagement></project>`), 0o644)
	os.WriteFile(filepath.Join(dir, "app", "pom.xml"), []byte(`<project><parent><groupId>g</groupId><artifactId>parent</artifactId><version>${revision}</version></parent>
	  <artifactId>app</artifactId>`+deps("g:lib:")+`</project>`), 0o644)
	l := newLoader(r.dir, nil, nil)
	m, err := l.load(filepath.Join(dir, "app", "pom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "3.0" || m.GroupID != "g" {
		t.Errorf("inherited coordinates %s:%s", m.GroupID, m.Version)
	}
	arts, _, err := l.resolve(m)
	if err != nil || len(arts) != 1 || arts[0].Version != "5" {
		t.Errorf("BOM-managed version: %v %v", arts, err)
	}
}
