package golang

import (
	"debug/elf"
	"strings"
)

// buildID returns the Go build ID of an ELF binary, or "" when it has none
// that stands for its content. Of its four parts the last is a hash of the
// binary's content, so the ID can key the binary's layer: go build touches
// an up-to-date binary (its mtime and ctime move), and the ID spares a no-op
// build from reading the whole binary to learn that it did not change. Only
// the ELF headers and the note are read.
func buildID(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := f.Section(".note.go.buildid")
	if s == nil {
		return ""
	}
	d, err := s.Data()
	if err != nil || len(d) < 16 {
		return ""
	}
	bo := f.ByteOrder
	namesz, descsz, typ := bo.Uint32(d[0:]), bo.Uint32(d[4:]), bo.Uint32(d[8:])
	off := 12 + (uint64(namesz)+3)&^3
	if typ != 4 || namesz != 4 || string(d[12:15]) != "Go\x00" || off+uint64(descsz) > uint64(len(d)) {
		return ""
	}
	id := string(d[off : off+uint64(descsz)])
	// A build ID set by hand (-ldflags=-buildid=...) names nothing: only
	// the go command's four hashes are trusted.
	parts := strings.Split(id, "/")
	if len(parts) != 4 {
		return ""
	}
	for _, p := range parts {
		if len(p) != 20 || strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return ""
		}
	}
	return id
}
