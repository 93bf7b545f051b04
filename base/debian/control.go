package debian

import (
	"fmt"
	"strings"
)

// paragraph is one deb822 stanza: fields in order, values with continuation
// lines joined by newlines.
type paragraph struct {
	keys   []string
	values map[string]string
	line   int // where it starts, for messages
}

func (p paragraph) get(k string) string { return p.values[strings.ToLower(k)] }

// parseParagraphs parses deb822 text (Packages indexes, Release files, control
// files, .sources). Comment lines are skipped. Errors name file:line.
func parseParagraphs(s, file string) ([]paragraph, error) {
	var out []paragraph
	var cur *paragraph
	var last string
	n := 0
	for len(s) > 0 {
		n++
		var line string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			line, s = s, ""
		}
		line = strings.TrimSuffix(line, "\r")
		switch {
		case strings.TrimSpace(line) == "":
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
		case strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t':
			if cur == nil || last == "" {
				return nil, fmt.Errorf("%s:%d: continuation line outside a field", file, n)
			}
			cont := strings.TrimSpace(line)
			if cont == "." {
				cont = ""
			}
			cur.values[last] += "\n" + cont
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				return nil, fmt.Errorf("%s:%d: not a field: %q", file, n, truncate(line, 60))
			}
			if cur == nil {
				cur = &paragraph{values: map[string]string{}, line: n}
			}
			last = strings.ToLower(k)
			if _, dup := cur.values[last]; !dup {
				cur.keys = append(cur.keys, k)
			}
			cur.values[last] = strings.TrimSpace(v)
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
