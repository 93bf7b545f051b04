package debian

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"

	"github.com/langbuild/langbuild/layering"
)

// Nonroot is distroless's unprivileged user.
const Nonroot = 65532

// configure returns, as one layer, what the packages' maintainer scripts would
// have made: users and groups, home and /tmp, the CA bundle and Java's trust
// store, the timezone, the java symlink alternatives would make, and a dpkg
// status entry per package so image scanners see what is installed. It also
// returns the environment the image needs (JAVA_HOME, SSL_CERT_FILE).
func configure(pkgs []Package, xs []*extracted, modTime time.Time) (layering.Layer, []string, error) {
	files := map[string]layering.Entry{} // what the packages ship, by image path
	for _, x := range xs {
		for _, e := range x.entries() {
			if _, ok := files[e.Path]; !ok {
				files[e.Path] = e
			}
		}
	}
	var es []layering.Entry
	add := func(e layering.Entry) { es = append(es, e) }
	data := func(p, content string, mode fs.FileMode) {
		add(layering.Entry{Path: p, Type: layering.TypeFile, Data: []byte(content), Mode: mode})
	}

	data("/etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n"+
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"+
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n", 0o644)
	data("/etc/group", "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n", 0o644)
	add(layering.Entry{Path: "/home/nonroot", Type: layering.TypeDir, Mode: 0o700, UID: Nonroot, GID: Nonroot})
	add(layering.Entry{Path: "/root", Type: layering.TypeDir, Mode: 0o700})
	add(layering.Entry{Path: "/tmp", Type: layering.TypeDir, Mode: fs.ModeSticky | 0o777})
	if _, ok := files["/etc/os-release"]; !ok {
		data("/etc/os-release", "PRETTY_NAME=\"Debian-based langbuild base\"\nID=debian\n", 0o644)
	}
	if _, ok := files["/usr/share/zoneinfo/Etc/UTC"]; ok {
		add(layering.Entry{Path: "/etc/localtime", Type: layering.TypeSymlink, Linkname: "/usr/share/zoneinfo/Etc/UTC"})
		data("/etc/timezone", "Etc/UTC\n", 0o644)
	}

	env := []string{}
	certs, err := caCertificates(files)
	if err != nil {
		return layering.Layer{}, nil, err
	}
	if len(certs) > 0 {
		var bundle bytes.Buffer
		for _, c := range certs {
			bundle.Write(c.pem)
			if !bytes.HasSuffix(c.pem, []byte("\n")) {
				bundle.WriteByte('\n')
			}
		}
		data("/etc/ssl/certs/ca-certificates.crt", bundle.String(), 0o644)
		env = append(env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
	}

	if home := javaHome(files); home != "" {
		add(layering.Entry{Path: "/usr/bin/java", Type: layering.TypeSymlink, Linkname: home + "/bin/java"})
		env = append(env, "JAVA_HOME="+home)
		if len(certs) > 0 {
			ks, err := javaTrustStore(certs, modTime)
			if err != nil {
				return layering.Layer{}, nil, err
			}
			add(layering.Entry{Path: "/etc/ssl/certs/java/cacerts", Type: layering.TypeFile, Data: ks, Mode: 0o644})
		}
	}

	for i, p := range pkgs {
		data("/var/lib/dpkg/status.d/"+p.Name, xs[i].Control, 0o644)
	}
	return layering.Layer{Name: "debian configuration (users, certificates, timezone, dpkg status)", Entries: es}, env, nil
}

type caCert struct {
	name string // file name without .crt
	pem  []byte
	der  [][]byte
}

// caCertificates reads the certificates ca-certificates ships, as
// update-ca-certificates would gather them: every .crt under
// /usr/share/ca-certificates, in path order.
func caCertificates(files map[string]layering.Entry) ([]caCert, error) {
	var paths []string
	for p, e := range files {
		if strings.HasPrefix(p, "/usr/share/ca-certificates/") && strings.HasSuffix(p, ".crt") && e.Type == layering.TypeFile {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []caCert
	for _, p := range paths {
		b, err := os.ReadFile(files[p].Source)
		if err != nil {
			return nil, err
		}
		c := caCert{name: strings.TrimSuffix(path.Base(p), ".crt"), pem: b}
		for rest := b; ; {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if blk.Type == "CERTIFICATE" {
				c.der = append(c.der, blk.Bytes)
			}
		}
		if len(c.der) == 0 {
			return nil, fmt.Errorf("%s holds no PEM certificate", p)
		}
		out = append(out, c)
	}
	return out, nil
}

// javaHome finds the JVM the packages ship (/usr/lib/jvm/NAME with bin/java).
func javaHome(files map[string]layering.Entry) string {
	var homes []string
	for p, e := range files {
		if strings.HasPrefix(p, "/usr/lib/jvm/") && strings.HasSuffix(p, "/bin/java") && e.Type == layering.TypeFile {
			homes = append(homes, strings.TrimSuffix(p, "/bin/java"))
		}
	}
	sort.Strings(homes)
	if len(homes) == 0 {
		return ""
	}
	return homes[0]
}

// javaTrustStore writes a JKS keystore of the CA certificates, as
// ca-certificates-java would: JKS because the JVM reads cacerts without a
// password, and a PKCS12 store with encrypted certificate bags then shows no
// CAs at all. Aliases are "debian:name.pem", lower case as Java's JKS looks
// them up (a mixed-case alias is listed by keytool but never found, and the
// JVM then trusts nothing); entries in alias order and every creation time
// modTime, so the file is reproducible.
func javaTrustStore(certs []caCert, modTime time.Time) ([]byte, error) {
	ks := keystore.New(keystore.WithOrderedAliases())
	for _, c := range certs {
		for i, der := range c.der {
			alias := "debian:" + c.name + ".pem"
			if i > 0 {
				alias = fmt.Sprintf("debian:%s.pem_%d", c.name, i)
			}
			err := ks.SetTrustedCertificateEntry(alias, keystore.TrustedCertificateEntry{
				CreationTime: modTime,
				Certificate:  keystore.Certificate{Type: "X509", Content: der},
			})
			if err != nil {
				return nil, fmt.Errorf("java trust store: %s: %w", c.name, err)
			}
		}
	}
	var buf bytes.Buffer
	if err := ks.Store(&buf, []byte("changeit")); err != nil {
		return nil, fmt.Errorf("writing java trust store: %w", err)
	}
	return buf.Bytes(), nil
}
