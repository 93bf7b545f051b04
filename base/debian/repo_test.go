package debian

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/pavlo-v-chernykh/keystore-go/v4"

	"github.com/langbuild/langbuild/layering"
)

// fakePkg is a package of the fake repository.
type fakePkg struct {
	name, version, depends, provides string
	files                            map[string]string // path -> content ("->target" for symlinks)
}

// fakeRepo is an apt repository served by httptest, signed by a key made
// for the test: InRelease, main/binary-amd64/Packages.gz, pool/*.deb.
type fakeRepo struct {
	srv     *httptest.Server
	files   map[string][]byte
	keyring string
	hits    map[string]int
}

func newFakeRepo(t *testing.T, pkgs []fakePkg) *fakeRepo {
	t.Helper()
	r := &fakeRepo{files: map[string][]byte{}, hits: map[string]int{}}
	var index bytes.Buffer
	for _, p := range pkgs {
		deb := makeDeb(t, p)
		fn := fmt.Sprintf("pool/main/%s_%s_amd64.deb", p.name, p.version)
		r.files[fn] = deb
		sum := sha256.Sum256(deb)
		fmt.Fprintf(&index, "Package: %s\nVersion: %s\nArchitecture: amd64\nInstalled-Size: 10\n", p.name, p.version)
		if p.depends != "" {
			fmt.Fprintf(&index, "Depends: %s\n", p.depends)
		}
		if p.provides != "" {
			fmt.Fprintf(&index, "Provides: %s\n", p.provides)
		}
		fmt.Fprintf(&index, "Filename: %s\nSize: %d\nSHA256: %s\nDescription: test package %s\n a longer description\n\n", fn, len(deb), hex.EncodeToString(sum[:]), p.name)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(index.Bytes())
	zw.Close()
	r.files["dists/test/main/binary-amd64/Packages.gz"] = gz.Bytes()

	ent, err := openpgp.NewEntity("langbuild test", "", "test@langbuild.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	var kr bytes.Buffer
	ent.Serialize(&kr)
	r.keyring = filepath.Join(t.TempDir(), "keyring.gpg")
	os.WriteFile(r.keyring, kr.Bytes(), 0o644)
	r.sign(t, ent)

	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p := strings.TrimPrefix(req.URL.Path, "/")
		r.hits[p]++
		b, ok := r.files[p]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// sign writes InRelease listing the indexes as they are now.
func (r *fakeRepo) sign(t *testing.T, ent *openpgp.Entity) {
	t.Helper()
	var rel bytes.Buffer
	rel.WriteString("Origin: test\nSuite: test\nCodename: test\nArchitectures: amd64\nComponents: main\nSHA256:\n")
	var names []string
	for n := range r.files {
		if strings.HasPrefix(n, "dists/test/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		sum := sha256.Sum256(r.files[n])
		fmt.Fprintf(&rel, " %s %d %s\n", hex.EncodeToString(sum[:]), len(r.files[n]), strings.TrimPrefix(n, "dists/test/"))
	}
	var out bytes.Buffer
	w, err := clearsign.Encode(&out, ent.PrivateKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(rel.Bytes())
	w.Close()
	r.files["dists/test/InRelease"] = out.Bytes()
}

func (r *fakeRepo) source() Source {
	return Source{URI: r.srv.URL, Suite: "test", Components: []string{"main"}}
}

// makeDeb builds a .deb: ar with debian-binary, control.tar.gz, data.tar.gz.
func makeDeb(t *testing.T, p fakePkg) []byte {
	t.Helper()
	control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: test\nDescription: test\n", p.name, p.version)
	ctl := tarGz(t, map[string]string{"./control": control})
	data := tarGz(t, p.files)
	var ar bytes.Buffer
	ar.WriteString("!<arch>\n")
	for _, m := range []struct {
		name string
		b    []byte
	}{{"debian-binary", []byte("2.0\n")}, {"control.tar.gz", ctl}, {"data.tar.gz", data}} {
		fmt.Fprintf(&ar, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m.name, 0, 0, 0, "100644", len(m.b))
		ar.Write(m.b)
		if len(m.b)%2 == 1 {
			ar.WriteByte('\n')
		}
	}
	return ar.Bytes()
}

func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	dirs := map[string]bool{}
	for _, n := range names {
		parts := strings.Split(strings.TrimPrefix(n, "./"), "/")
		for i := 1; i < len(parts); i++ {
			d := "./" + strings.Join(parts[:i], "/") + "/"
			if !dirs[d] {
				dirs[d] = true
				tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755})
			}
		}
		c := files[n]
		switch {
		case strings.HasPrefix(c, "->"):
			tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeSymlink, Linkname: c[2:], Mode: 0o777})
		case strings.HasPrefix(c, "=>"):
			tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeLink, Linkname: c[2:]})
		default:
			mode := int64(0o644)
			if strings.Contains(n, "/bin/") {
				mode = 0o755
			}
			tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(c))})
			tw.Write([]byte(c))
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func testCert(t *testing.T) string {
	t.Helper()
	// Any real CA certificate will do; the host's bundle has many.
	b, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Skip("no CA bundle on this machine to take a test certificate from")
	}
	end := bytes.Index(b, []byte("-----END CERTIFICATE-----"))
	return string(b[:end+len("-----END CERTIFICATE-----")]) + "\n"
}

func basicRepo(t *testing.T) *fakeRepo {
	cert := testCert(t)
	return newFakeRepo(t, []fakePkg{
		{name: "base-files", version: "1", files: map[string]string{"./etc/os-release": "ID=test\n", "./usr/lib/os-release": "ID=test\n"}},
		{name: "tzdata", version: "2024a", files: map[string]string{"./usr/share/zoneinfo/Etc/UTC": "TZif"}},
		{name: "ca-certificates", version: "2", depends: "openssl", files: map[string]string{"./usr/share/ca-certificates/mozilla/Test_CA.crt": cert}},
		{name: "openssl", version: "3", files: map[string]string{"./usr/bin/openssl": "elf"}},
		{name: "libc6", version: "2.36-9", files: map[string]string{"./lib/libc.so.6": "elf", "./lib/libc.so.6.hard": "=>./lib/libc.so.6"}},
		{name: "libc6", version: "2.36-10", files: map[string]string{"./lib/libc.so.6": "elf newer", "./lib/libc.so.6.hard": "=>./lib/libc.so.6"}},
		{name: "jre", version: "17", depends: "libc6 (>= 2.36-10), java-common | default-java", provides: "java-runtime",
			files: map[string]string{"./usr/lib/jvm/java-17/bin/java": "elf", "./usr/lib/jvm/java-17/lib/security/cacerts": "->/etc/ssl/certs/java/cacerts"}},
		{name: "app", version: "1", depends: "java-runtime, libc6 (>= 3)", files: map[string]string{"./usr/bin/app": "x"}},
		{name: "tool", version: "1", depends: "missing-lib | other-missing", files: map[string]string{"./usr/bin/tool": "x"}},
		{name: "uses-virtual", version: "1", depends: "java-runtime", files: map[string]string{"./usr/bin/uv": "x"}},
		{name: "java-common", version: "1", files: map[string]string{"./usr/share/java-common/x": "x"}},
	})
}

func opts(t *testing.T, r *fakeRepo) Options {
	c, err := layering.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return Options{Sources: []Source{r.source()}, Suite: "test", Arch: "amd64", Keyring: r.keyring, Cache: c}
}

func TestBuildFromFakeRepo(t *testing.T) {
	r := basicRepo(t)
	o := opts(t, r)
	ctx := context.Background()
	res, err := Build(ctx, []string{"base-files", "tzdata", "ca-certificates", "jre", "uses-virtual"}, []string{"ca-certificates"}, o)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.String())
	}
	want := "base-files=1 ca-certificates=2 java-common=1 jre=17 libc6=2.36-10 tzdata=2024a uses-virtual=1"
	if strings.Join(got, " ") != want {
		t.Errorf("packages:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if res.Downloaded != 7 {
		t.Errorf("downloaded %d, want 7", res.Downloaded)
	}

	entries := map[string]layering.Entry{}
	for _, l := range res.Plan.Layers {
		for _, e := range l.Entries {
			entries[e.Path] = e
		}
	}
	content := func(p string) string {
		e, ok := entries[p]
		if !ok {
			t.Errorf("image lacks %s", p)
			return ""
		}
		if e.Data != nil {
			return string(e.Data)
		}
		b, _ := os.ReadFile(e.Source)
		return string(b)
	}
	if c := content("/etc/ssl/certs/ca-certificates.crt"); c != testCert(t) {
		t.Errorf("CA bundle is %q", c)
	}
	if !strings.Contains(content("/etc/passwd"), "nonroot:x:65532:65532") {
		t.Error("no nonroot user")
	}
	if e := entries["/usr/bin/java"]; e.Type != layering.TypeSymlink || e.Linkname != "/usr/lib/jvm/java-17/bin/java" {
		t.Errorf("java symlink %+v", e)
	}
	if e := entries["/etc/localtime"]; e.Linkname != "/usr/share/zoneinfo/Etc/UTC" {
		t.Errorf("localtime %+v", e)
	}
	if c := content("/lib/libc.so.6.hard"); c != "elf newer" {
		t.Errorf("hard link content %q", c)
	}
	if !strings.Contains(content("/var/lib/dpkg/status.d/jre"), "Package: jre") {
		t.Errorf("status.d/jre: %q", content("/var/lib/dpkg/status.d/jre"))
	}
	if e := entries["/tmp"]; e.Mode&os.ModeSticky == 0 || e.Mode.Perm() != 0o777 {
		t.Errorf("/tmp mode %v", e.Mode)
	}
	ks := keystore.New(keystore.WithCaseExactAliases())
	// Aliases must be lower case: Java's JKS looks them up lower-cased.
	if err := ks.Load(strings.NewReader(content("/etc/ssl/certs/java/cacerts")), []byte("changeit")); err != nil {
		t.Fatalf("java trust store: %v", err)
	}
	if a := ks.Aliases(); len(a) != 1 || a[0] != "debian:test_ca.pem" || !ks.IsTrustedCertificateEntry(a[0]) {
		t.Errorf("trust store aliases %v", a)
	}
	env := strings.Join(res.Plan.Config.Env, " ")
	if !strings.Contains(env, "JAVA_HOME=/usr/lib/jvm/java-17") || !strings.Contains(env, "SSL_CERT_FILE=") || res.Plan.Config.User != "65532" {
		t.Errorf("config %+v", res.Plan.Config)
	}
	if err := res.Plan.Validate(); err != nil {
		t.Error(err)
	}

	// Again with the same cache: nothing is downloaded.
	hits := r.hits["pool/main/jre_17_amd64.deb"]
	again, err := Build(ctx, []string{"base-files", "tzdata", "ca-certificates", "jre", "uses-virtual"}, []string{"ca-certificates"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if again.Downloaded != 0 || r.hits["pool/main/jre_17_amd64.deb"] != hits {
		t.Errorf("second build downloaded %d packages", again.Downloaded)
	}
}

func TestBuildErrors(t *testing.T) {
	ctx := context.Background()
	r := basicRepo(t)
	for _, tc := range []struct {
		name string
		pkgs []string
		want []string
	}{
		{"unknown package", []string{"no-such-package"}, []string{`no package "no-such-package"`}},
		{"version too old", []string{"app"}, []string{"app=1", "libc6 (>= 3)", "cannot be satisfied", "libc6 is at 2.36-10"}},
		{"no alternative", []string{"tool"}, []string{"missing-lib | other-missing", "no package missing-lib"}},
		{"pinned version missing", []string{"libc6=9"}, []string{"libc6 has no version 9", "2.36-10, 2.36-9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(ctx, tc.pkgs, nil, opts(t, r))
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("got %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestCorruptDownloads(t *testing.T) {
	ctx := context.Background()
	t.Run("deb", func(t *testing.T) {
		r := basicRepo(t)
		deb := r.files["pool/main/tzdata_2024a_amd64.deb"]
		bad := append([]byte{}, deb...)
		bad[len(bad)-5] ^= 0xff
		r.files["pool/main/tzdata_2024a_amd64.deb"] = bad
		o := opts(t, r)
		_, err := Build(ctx, []string{"tzdata"}, nil, o)
		if err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), "tzdata=2024a") {
			t.Errorf("corrupt .deb: %v", err)
		}
		if probs, _ := o.Cache.Verify(); len(probs) > 0 {
			t.Errorf("cache after a corrupt download: %v", probs)
		}
	})
	t.Run("truncated deb", func(t *testing.T) {
		r := basicRepo(t)
		deb := r.files["pool/main/tzdata_2024a_amd64.deb"]
		r.files["pool/main/tzdata_2024a_amd64.deb"] = deb[:len(deb)/2]
		if _, err := Build(ctx, []string{"tzdata"}, nil, opts(t, r)); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
			t.Errorf("truncated .deb: %v", err)
		}
	})
	t.Run("index", func(t *testing.T) {
		r := basicRepo(t)
		idx := r.files["dists/test/main/binary-amd64/Packages.gz"]
		r.files["dists/test/main/binary-amd64/Packages.gz"] = idx[:len(idx)-10]
		_, err := Build(ctx, []string{"tzdata"}, nil, opts(t, r))
		if err == nil || !strings.Contains(err.Error(), "Packages.gz: checksum mismatch") {
			t.Errorf("truncated index: %v", err)
		}
	})
	t.Run("signature", func(t *testing.T) {
		r := basicRepo(t)
		other := newFakeRepo(t, []fakePkg{{name: "x", version: "1"}})
		o := opts(t, r)
		o.Keyring = other.keyring
		_, err := Build(ctx, []string{"tzdata"}, nil, o)
		if err == nil || !strings.Contains(err.Error(), "signature does not verify") {
			t.Errorf("wrong key: %v", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		o := opts(t, basicRepo(t))
		o.Sources = []Source{{URI: "http://127.0.0.1:1/debian", Suite: "test", Components: []string{"main"}}}
		start := time.Now()
		_, err := Build(ctx, []string{"tzdata"}, nil, o)
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("unreachable mirror: %v", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %s to fail", d)
		}
	})
	t.Run("escaping path", func(t *testing.T) {
		r := newFakeRepo(t, []fakePkg{{name: "evil", version: "1", files: map[string]string{"./../../etc/evil": "x"}}})
		_, err := Build(ctx, []string{"evil"}, nil, opts(t, r))
		if err == nil || !strings.Contains(err.Error(), "leaves the image root") {
			t.Errorf("escaping entry: %v", err)
		}
	})
}

func TestReadSources(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "sources.list.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "sources.list"), []byte("# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.invalid/debian bookworm main contrib\ndeb-src http://mirror.invalid/debian bookworm main\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "sources.list.d", "x.sources"), []byte("Types: deb\nURIs: http://a.invalid/debian/\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/k.gpg\n\nTypes: deb\nEnabled: no\nURIs: http://off.invalid\nSuites: x\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "sources.list.d", "y.list.disabled"), []byte("deb http://ignored.invalid x main\n"), 0o644)
	got, err := ReadSources(dir)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, g := range got {
		s = append(s, g.String()+" ["+g.SignedBy+"]")
	}
	want := []string{
		"http://mirror.invalid/debian bookworm main contrib [/k.gpg]",
		"http://a.invalid/debian bookworm main [/usr/share/keyrings/k.gpg]",
		"http://a.invalid/debian bookworm-updates main [/usr/share/keyrings/k.gpg]",
	}
	if strings.Join(s, "\n") != strings.Join(want, "\n") {
		t.Errorf("sources:\n%s\nwant:\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
}
