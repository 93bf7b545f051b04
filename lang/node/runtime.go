package node

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/langbuild/langbuild/layering"
)

// ProjectRuntime reads the Node versions the project in dir asks for:
// package.json's engines.node, a range in npm's syntax, as npm reads it;
// else the version in .nvmrc or .node-version (nvm's and other version
// managers' files), read as that release or a later one of its major (^V),
// since a base ships the newest release of a major. Range is "" when the
// project says nothing (or only an alias such as lts/* or node), and From
// then names where it was looked for.
func ProjectRuntime(dir string) layering.Runtime {
	rt := layering.Runtime{Name: "node"}
	var pkg struct {
		Engines json.RawMessage `json:"engines"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil && json.Unmarshal(b, &pkg) == nil {
		var engines map[string]any
		if json.Unmarshal(pkg.Engines, &engines) == nil {
			if v, ok := engines["node"]; ok && v != nil {
				rt.Range = strings.TrimSpace(fmt.Sprint(v))
				rt.From = "engines.node in package.json"
				return rt
			}
		}
	}
	for _, f := range []string{".nvmrc", ".node-version"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		written, rng := versionFile(b)
		if rng == "" {
			continue
		}
		rt.Range = rng
		rt.From = fmt.Sprintf("%s, which says %s", f, written)
		if written != rng {
			rt.From += ", read as " + rng
		}
		return rt
	}
	rt.From = "engines.node in package.json, .nvmrc, .node-version"
	return rt
}

var fileVersionRE = regexp.MustCompile(`^v?(\d+(?:\.\d+){0,2})$`)

// ltsMajors are the majors of Node's LTS codenames, as nvm's lts/NAME.
var ltsMajors = map[string]string{
	"argon": "4", "boron": "6", "carbon": "8", "dubnium": "10", "erbium": "12",
	"fermium": "14", "gallium": "16", "hydrogen": "18", "iron": "20", "jod": "22", "krypton": "24",
}

// versionFile reads a .nvmrc or .node-version: its first word that is not
// a comment. A version V is read as ^V, an LTS codename as its major; an
// alias that names no major (node, lts/*, system) gives no range.
func versionFile(b []byte) (written, rng string) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		written = f[0]
		w := strings.ToLower(written)
		if m := fileVersionRE.FindStringSubmatch(w); m != nil {
			return written, "^" + m[1]
		}
		if name, ok := strings.CutPrefix(w, "lts/"); ok {
			if major := ltsMajors[name]; major != "" {
				return written, major + ".x"
			}
		}
		return written, ""
	}
	return "", ""
}
