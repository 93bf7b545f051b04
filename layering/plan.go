// Package layering owns the data langbuild builds images from: a Plan of ordered
// layers with their file entries and the container configuration. It also holds
// the project's only tar writer and the content-keyed layer cache, so that every
// layer, whatever language produced it, is written the same reproducible way.
//
// The package imports no registry code: it turns a Plan into compressed layer
// blobs on disk, and image assembly takes it from there.
package layering

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// Plan is what an analyzer produces: the application layers, ordered from the
// least to the most often changing, and the container configuration.
type Plan struct {
	// Layers are appended to the base in this order. Empty layers are dropped.
	Layers []Layer `json:"layers"`
	// Config is applied on top of the base image's configuration.
	Config Config `json:"config"`
	// Runtime is the language runtime the application needs from its base
	// (Java of a release, Node of a range), by which a build chooses a
	// default base and checks a given one; zero when it needs none (a Go
	// binary).
	Runtime Runtime `json:"runtime,omitzero"`
	// BaseEntrypoint, when set, names the program the base's entrypoint
	// must run for the plan to work: the plan leaves Entrypoint to the base,
	// and its Cmd holds that program's arguments (a Node script for the
	// base's node).
	BaseEntrypoint string `json:"baseEntrypoint,omitempty"`
	// Facts are what the analyzer learned, for people and tools reading the
	// plan (`langbuild plan`): the resolved classpath, native addons. No
	// build step reads them; what a step needs is a typed field.
	Facts map[string]string `json:"facts,omitempty"`
}

// Runtime is the language runtime a plan needs from its base.
type Runtime struct {
	// Name is the runtime ("java", "node").
	Name string `json:"name"`
	// Version is the lowest version that runs the application (for Java, the
	// release it targets: 21); 0 when the project does not say.
	Version int `json:"version,omitempty"`
	// Range is the versions the project accepts, as it wrote them, for
	// runtimes whose projects name a range rather than a lowest version
	// (Node's engines.node: ">=24.18.0"); "" when it names none.
	Range string `json:"range,omitempty"`
	// From says where Version or Range was read, for messages ("the
	// compiler release or target in pom.xml").
	From string `json:"from,omitempty"`
}

// Layer is one named layer of the plan.
type Layer struct {
	// Name describes the layer; it becomes the comment of the image history entry.
	Name string `json:"name"`
	// Entries are the files of the layer. Their order does not matter: the tar
	// writer sorts them and adds missing parent directories.
	Entries []Entry `json:"entries"`
	// Key, when set, stands for the layer's content, vouched for by the
	// analyzer (a Node dependency layer is keyed by its lockfile entries): a
	// layer built before under the same key is reused without reading, or
	// even statting, its entries. Leave it empty to key on content.
	Key string `json:"key,omitempty"`
	// KeyOnly says that Key changes when, and only when, the content does
	// (a Go build ID): the layer is then not also keyed by its content,
	// which spares hashing its changed files.
	KeyOnly bool `json:"keyOnly,omitempty"`
	// Stable says the layer changes rarely (third-party dependencies, base
	// packages): it is compressed harder, once, for smaller pulls.
	Stable bool `json:"stable,omitempty"`
}

// EntryType says what an Entry is.
type EntryType int

const (
	// TypeFile is a regular file, read from Source or taken from Data.
	TypeFile EntryType = iota
	// TypeDir is a directory.
	TypeDir
	// TypeSymlink is a symbolic link to Linkname, kept as a link.
	TypeSymlink
)

func (t EntryType) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeSymlink:
		return "symlink"
	}
	return fmt.Sprintf("type(%d)", int(t))
}

// MarshalText makes plans print types by name in JSON.
func (t EntryType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (t *EntryType) UnmarshalText(b []byte) error {
	for _, c := range []EntryType{TypeFile, TypeDir, TypeSymlink} {
		if c.String() == string(b) {
			*t = c
			return nil
		}
	}
	return fmt.Errorf("unknown entry type %q", b)
}

// Entry is one file, directory or symlink in a layer.
type Entry struct {
	// Path is the absolute, slash-separated path in the image.
	Path string `json:"path"`
	// Type of the entry.
	Type EntryType `json:"type"`
	// Source is the file on disk a TypeFile entry is read from. Empty when Data is used.
	Source string `json:"source,omitempty"`
	// Data is the content of a generated TypeFile entry (such as /etc/passwd).
	Data []byte `json:"-"`
	// Linkname is the target of a TypeSymlink entry, kept as written.
	Linkname string `json:"linkname,omitempty"`
	// Mode is the permission bits (and setuid/setgid/sticky). Zero means the
	// normalised default: 0755 for directories and executables, 0644 for other files.
	Mode fs.FileMode `json:"mode,omitempty"`
	// UID and GID of the entry; 0 unless the plan says otherwise.
	UID int `json:"uid,omitempty"`
	GID int `json:"gid,omitempty"`
}

// Config is the part of the container configuration a plan controls. Nil and
// empty fields keep what the base image has.
type Config struct {
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Env        []string          `json:"env,omitempty"` // KEY=VALUE, replacing the base's value of KEY
	WorkingDir string            `json:"workingDir,omitempty"`
	User       string            `json:"user,omitempty"`
	Ports      []string          `json:"ports,omitempty"` // "8080/tcp"; "8080" means tcp
	Labels     map[string]string `json:"labels,omitempty"`
}

// Validate checks that every entry can be written: absolute clean paths that stay
// inside the image root, a source or data for files, a target for symlinks, and no
// path given twice with different content within a layer.
func (p *Plan) Validate() error {
	for _, l := range p.Layers {
		// Entries in increasing order of path (as analyzers that sort them
		// give them) cannot repeat one; a set is made only from the first
		// entry out of order, of the entries up to it.
		var seen map[string]bool
		for i, e := range l.Entries {
			if err := e.validate(); err != nil {
				return fmt.Errorf("layer %q: %w", l.Name, err)
			}
			if seen == nil {
				if i == 0 || l.Entries[i-1].Path < e.Path {
					continue
				}
				seen = make(map[string]bool, len(l.Entries))
				for _, before := range l.Entries[:i] {
					seen[before.Path] = true
				}
			}
			if seen[e.Path] {
				return fmt.Errorf("layer %q: %s appears twice", l.Name, e.Path)
			}
			seen[e.Path] = true
		}
	}
	return nil
}

// isCleanAbs is path.Clean(p) == p for a path below /, without building the
// cleaned copy: no empty, "." or ".." element and no trailing slash.
func isCleanAbs(p string) bool {
	if len(p) < 2 || p[0] != '/' {
		return false
	}
	for rest := p[1:]; ; {
		elem, after, more := strings.Cut(rest, "/")
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
		if !more {
			return true
		}
		rest = after
	}
}

func (e Entry) validate() error {
	if !strings.HasPrefix(e.Path, "/") {
		return fmt.Errorf("entry %q: path in the image must be absolute", e.Path)
	}
	if !isCleanAbs(e.Path) {
		return fmt.Errorf("entry %q: path must be clean and below /", e.Path)
	}
	switch e.Type {
	case TypeFile:
		if e.Source == "" && e.Data == nil {
			return fmt.Errorf("entry %s: file has neither a source nor data", e.Path)
		}
	case TypeSymlink:
		if e.Linkname == "" {
			return fmt.Errorf("entry %s: symlink has no target", e.Path)
		}
	case TypeDir:
	default:
		return fmt.Errorf("entry %s: unknown type %d", e.Path, e.Type)
	}
	if e.UID < 0 || e.GID < 0 {
		return fmt.Errorf("entry %s: negative owner", e.Path)
	}
	return nil
}

// NonEmptyLayers returns the layers that have at least one entry, in order.
func (p *Plan) NonEmptyLayers() []Layer {
	var out []Layer
	for _, l := range p.Layers {
		if len(l.Entries) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// normalizedMode is the mode the tar writer gives an entry.
func (e Entry) normalizedMode(executable bool) fs.FileMode {
	if e.Mode != 0 {
		return e.Mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	}
	switch e.Type {
	case TypeDir:
		return 0o755
	case TypeSymlink:
		return 0o777
	}
	if executable {
		return 0o755
	}
	return 0o644
}

// sortEntries orders entries by path so that a directory always precedes its contents.
func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool { return es[i].Path < es[j].Path })
}
