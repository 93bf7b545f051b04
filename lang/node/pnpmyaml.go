package node

import (
	"fmt"
	"strconv"
	"strings"
)

// The YAML that pnpm writes pnpm-lock.yaml in, and yarn berry its yarn.lock:
// block mappings indented by spaces, block sequences of scalars, plain,
// single- and double-quoted scalars, and flow collections on one line
// ({integrity: sha512-...}, [x64]). Both files are machine-written in that
// style, so this reads that much of YAML and refuses the rest (anchors,
// tags, multi-line flow collections), naming the line, rather than pulling a
// YAML library into the module for two lockfiles.

// yamlNode is a mapping (keys in file order), a sequence, or a scalar.
type yamlNode struct {
	keys   []string
	fields map[string]*yamlNode
	list   []string
	scalar string
	line   int
}

// get returns the value at key, or nil.
func (n *yamlNode) get(key string) *yamlNode {
	if n == nil || n.fields == nil {
		return nil
	}
	return n.fields[key]
}

// str is a scalar's value ("" for a missing node or a collection).
func (n *yamlNode) str() string {
	if n == nil {
		return ""
	}
	return n.scalar
}

// strMap is a mapping of scalars, such as a dependencies field.
func (n *yamlNode) strMap() map[string]string {
	if n == nil || len(n.keys) == 0 {
		return nil
	}
	m := make(map[string]string, len(n.keys))
	for _, k := range n.keys {
		m[k] = n.fields[k].scalar
	}
	return m
}

type yamlLine struct {
	no     int
	indent int
	text   string // without the indentation
}

// parseYAML reads a document whose top level is a mapping.
func parseYAML(file string, data []byte) (*yamlNode, error) {
	var lines []yamlLine
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(l, " \r")
		t := strings.TrimLeft(l, " ")
		if t == "" || t[0] == '#' || t == "---" {
			continue
		}
		if t[0] == '\t' {
			return nil, fmt.Errorf("%s:%d: a tab in the indentation", file, i+1)
		}
		lines = append(lines, yamlLine{no: i + 1, indent: len(l) - len(t), text: t})
	}
	p := &yamlParser{file: file, lines: lines}
	root := &yamlNode{fields: map[string]*yamlNode{}, line: 1}
	if len(lines) == 0 {
		return root, nil
	}
	if err := p.block(root, lines[0].indent); err != nil {
		return nil, err
	}
	if p.i < len(lines) {
		return nil, p.errorf(lines[p.i], "unexpected indentation")
	}
	return root, nil
}

type yamlParser struct {
	file  string
	lines []yamlLine
	i     int
}

func (p *yamlParser) errorf(l yamlLine, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, l.no, fmt.Sprintf(format, args...))
}

// block reads the lines at indent into n, a mapping or a sequence.
func (p *yamlParser) block(n *yamlNode, indent int) error {
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent {
			return nil
		}
		if l.indent > indent {
			return p.errorf(l, "unexpected indentation")
		}
		if l.text == "-" || strings.HasPrefix(l.text, "- ") {
			if n.fields != nil && len(n.keys) > 0 {
				return p.errorf(l, "a sequence item among mapping keys")
			}
			n.fields = nil
			v, err := p.scalar(l, strings.TrimSpace(strings.TrimPrefix(l.text, "-")))
			if err != nil {
				return err
			}
			n.list = append(n.list, v)
			p.i++
			continue
		}
		if n.list != nil {
			return p.errorf(l, "a mapping key among sequence items")
		}
		key, rest, err := p.key(l)
		if err != nil {
			return err
		}
		if _, dup := n.fields[key]; dup {
			return p.errorf(l, "key %q repeated", key)
		}
		child := &yamlNode{line: l.no}
		p.i++
		switch {
		case rest == "":
			// A nested block, or an empty value.
			if p.i < len(p.lines) && p.lines[p.i].indent > indent {
				child.fields = map[string]*yamlNode{}
				if err := p.block(child, p.lines[p.i].indent); err != nil {
					return err
				}
			} else if p.i < len(p.lines) && p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text, "- ") {
				// A sequence may sit at its key's indentation.
				for p.i < len(p.lines) && p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text, "- ") {
					v, err := p.scalar(p.lines[p.i], strings.TrimSpace(p.lines[p.i].text[1:]))
					if err != nil {
						return err
					}
					child.list = append(child.list, v)
					p.i++
				}
			}
		case rest[0] == '{':
			if err := p.flowMap(l, rest, child); err != nil {
				return err
			}
		case rest[0] == '[':
			list, err := p.flowList(l, rest)
			if err != nil {
				return err
			}
			child.list = list
		case rest[0] == '|' || rest[0] == '>' || rest[0] == '&' || rest[0] == '*' || rest[0] == '!':
			return p.errorf(l, "%q: block scalars, anchors, aliases and tags are not lockfile YAML", rest)
		default:
			if child.scalar, err = p.scalar(l, rest); err != nil {
				return err
			}
		}
		if n.fields == nil {
			n.fields = map[string]*yamlNode{}
		}
		n.keys = append(n.keys, key)
		n.fields[key] = child
	}
	return nil
}

// key splits "key: value" (or "key:") into the unquoted key and the rest.
func (p *yamlParser) key(l yamlLine) (key, rest string, err error) {
	t := l.text
	if t == "" {
		return "", "", p.errorf(l, "an empty entry")
	}
	if t[0] == '"' || t[0] == '\'' {
		end, err := quotedEnd(t)
		if err != nil {
			return "", "", p.errorf(l, "%v", err)
		}
		if key, err = unquoteYAML(t[:end]); err != nil {
			return "", "", p.errorf(l, "%v", err)
		}
		after := t[end:]
		if after != ":" && !strings.HasPrefix(after, ": ") {
			return "", "", p.errorf(l, "no ':' after the key %s", t[:end])
		}
		return key, strings.TrimSpace(after[1:]), nil
	}
	for i := 0; i < len(t); i++ {
		if t[i] == ':' && (i == len(t)-1 || t[i+1] == ' ') {
			return t[:i], strings.TrimSpace(t[i+1:]), nil
		}
	}
	return "", "", p.errorf(l, "%q is not key: value", t)
}

// scalar unquotes a scalar value.
func (p *yamlParser) scalar(l yamlLine, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if s[0] == '"' || s[0] == '\'' {
		end, err := quotedEnd(s)
		if err == nil && end != len(s) {
			err = fmt.Errorf("text after the quoted scalar %s", s[:end])
		}
		if err == nil {
			s, err = unquoteYAML(s)
		}
		if err != nil {
			return "", p.errorf(l, "%v", err)
		}
		return s, nil
	}
	if s[0] == '{' || s[0] == '[' {
		return "", p.errorf(l, "a flow collection in a sequence")
	}
	return s, nil
}

// quotedEnd is the index just past the quoted scalar s begins with.
func quotedEnd(s string) (int, error) {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated quoted scalar %s", s)
}

func unquoteYAML(s string) (string, error) {
	if s[0] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	}
	// The escapes a lockfile holds are JSON's.
	v, err := strconv.Unquote(s)
	if err != nil {
		return "", fmt.Errorf("bad double-quoted scalar %s", s)
	}
	return v, nil
}

// flowItems splits the inside of a one-line flow collection at its
// top-level commas.
func flowItems(s string) ([]string, error) {
	var items []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', '\'':
			end, err := quotedEnd(s[i:])
			if err != nil {
				return nil, err
			}
			i += end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 0 {
				items = append(items, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced flow collection")
	}
	if last := strings.TrimSpace(s[start:]); last != "" {
		items = append(items, last)
	}
	return items, nil
}

func (p *yamlParser) flowMap(l yamlLine, s string, n *yamlNode) error {
	n.fields = map[string]*yamlNode{}
	if !strings.HasSuffix(s, "}") {
		return p.errorf(l, "a flow mapping that does not end on its line")
	}
	items, err := flowItems(s[1 : len(s)-1])
	if err != nil {
		return p.errorf(l, "%v", err)
	}
	for _, it := range items {
		key, rest, err := p.key(yamlLine{no: l.no, text: it})
		if err != nil {
			return err
		}
		child := &yamlNode{line: l.no}
		switch {
		case rest != "" && rest[0] == '{':
			if err := p.flowMap(l, rest, child); err != nil {
				return err
			}
		case rest != "" && rest[0] == '[':
			if child.list, err = p.flowList(l, rest); err != nil {
				return err
			}
		default:
			if child.scalar, err = p.scalar(l, rest); err != nil {
				return err
			}
		}
		if _, dup := n.fields[key]; !dup {
			n.keys = append(n.keys, key)
		}
		n.fields[key] = child
	}
	return nil
}

func (p *yamlParser) flowList(l yamlLine, s string) ([]string, error) {
	if !strings.HasSuffix(s, "]") {
		return nil, p.errorf(l, "a flow sequence that does not end on its line")
	}
	items, err := flowItems(s[1 : len(s)-1])
	if err != nil {
		return nil, p.errorf(l, "%v", err)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		v, err := p.scalar(l, it)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
