package java

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Node is an XML element: gopom keeps only the first level of a plugin's
// <configuration>, so plugin settings (exec mainClass, jar manifest
// mainClass, Spring Boot's) are read from this tree instead.
type Node struct {
	Name string
	Text string
	Kids []*Node
}

func parseTree(src []byte) (*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(src))
	d.Strict = false
	root := &Node{}
	stack := []*Node{root}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &Node{Name: t.Name.Local}
			top := stack[len(stack)-1]
			top.Kids = append(top.Kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			stack[len(stack)-1].Text += string(t)
		}
	}
	if len(root.Kids) == 0 {
		return nil, errors.New("empty document")
	}
	return root.Kids[0], nil
}

// child returns the first child element with this name.
func (n *Node) child(name string) *Node {
	if n == nil {
		return nil
	}
	for _, k := range n.Kids {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// children returns the elements at the end of path.
func (n *Node) children(path ...string) []*Node {
	cur := []*Node{n}
	for _, p := range path {
		var next []*Node
		for _, c := range cur {
			if c == nil {
				continue
			}
			for _, k := range c.Kids {
				if k.Name == p {
					next = append(next, k)
				}
			}
		}
		cur = next
	}
	return cur
}

// text returns the trimmed text at path, or "".
func (n *Node) text(path ...string) string {
	c := n
	for _, p := range path {
		c = c.child(p)
		if c == nil {
			return ""
		}
	}
	return strings.TrimSpace(c.Text)
}
