package java

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/langbuild/langbuild/layering"
)

// classRelease is the newest class-file version seen in the compiled
// output, and one file of that version to name in messages.
type classRelease struct {
	major int
	file  string
}

// see records a class file's major version. Of the files of the newest
// version, the first by name is kept, whatever order they were seen in.
func (c *classRelease) see(major int, file string) {
	if major > c.major || (major == c.major && major > 0 && file < c.file) {
		c.major, c.file = major, file
	}
}

// release is the Java release the newest class file needs: class-file
// major 52 is Java 8, 55 is 11, 61 is 17, 65 is 21, 69 is 25.
func (c classRelease) release() int {
	if c.major <= 44 {
		return 0
	}
	return c.major - 44
}

// readMajor records the major version from the 8-byte header of the class
// file p: magic, minor, major. Nothing more is read. A file that cannot be
// read as a class file does not count; copying it into the image reports
// what is wrong with it, if anything.
func (c *classRelease) readMajor(p string) {
	f, err := os.Open(p)
	if err != nil {
		return
	}
	defer f.Close()
	var h [8]byte
	if _, err := io.ReadFull(f, h[:]); err == nil && binary.BigEndian.Uint32(h[:4]) == 0xCAFEBABE {
		c.see(int(binary.BigEndian.Uint16(h[6:8])), p)
	}
}

// topLevel reports whether a class file (slash-separated path) is worth
// reading for its version: an inner class is compiled with its outer one,
// so has its version.
func topLevel(rel string) bool {
	return strings.HasSuffix(rel, ".class") && !strings.Contains(rel[strings.LastIndex(rel, "/")+1:], "$")
}

// projectRelease is the release the project in dir needs, and where it was
// read: the pom's or the newest class file's, whichever is higher.
func projectRelease(dir string, info projectInfo, classes classRelease) (int, string) {
	rel, from := info.Release, "the compiler release or target in "+relPath(dir, info.File)
	if r := classes.release(); r > rel {
		rel, from = r, fmt.Sprintf("class file %s, version %d", relPath(dir, classes.file), classes.major)
	}
	return rel, from
}

func relPath(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// javaRuntime is what a plan of a project targeting release rel (0: it
// does not say), as from says, needs from its base.
func javaRuntime(rel int, from string) layering.Runtime {
	rt := layering.Runtime{Name: "java"}
	if rel > 0 {
		rt.Version, rt.From = rel, from
	}
	return rt
}
