package java

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// classInfo is what the main-class scan needs from a class file.
type classInfo struct {
	name    string // binary name with dots
	major   int
	hasMain bool
}

var errTruncated = errors.New("truncated class file")

// readClass parses just enough of a class file to find its name and whether
// it declares a main method the java launcher accepts. It reads any
// class-file version: the layout of the parts it reads has not changed.
func readClass(b []byte) (classInfo, error) {
	r := &reader{b: b}
	if r.u4() != 0xCAFEBABE {
		return classInfo{}, errors.New("not a class file (bad magic)")
	}
	r.u2() // minor
	major := int(r.u2())
	n := int(r.u2())
	utf8 := make(map[int]string)
	classIdx := make(map[int]int)
	for i := 1; i < n; i++ {
		tag := r.u1()
		switch tag {
		case 1:
			l := int(r.u2())
			utf8[i] = string(r.bytes(l))
		case 7:
			classIdx[i] = int(r.u2())
		case 8, 16, 19, 20:
			r.u2()
		case 15:
			r.u1()
			r.u2()
		case 3, 4, 9, 10, 11, 12, 17, 18:
			r.u4()
		case 5, 6:
			r.u4()
			r.u4()
			i++
		default:
			if r.err == nil {
				return classInfo{}, fmt.Errorf("unknown constant pool tag %d", tag)
			}
		}
	}
	r.u2() // access flags
	this := int(r.u2())
	r.u2() // super
	r.skip(2 * int(r.u2()))
	skipMembers := func() {
		for range int(r.u2()) {
			r.skip(6)
			for range int(r.u2()) {
				r.u2()
				r.skip(int(r.u4()))
			}
		}
	}
	skipMembers() // fields
	info := classInfo{major: major}
	for range int(r.u2()) {
		acc, name, desc := r.u2(), int(r.u2()), int(r.u2())
		for range int(r.u2()) {
			r.u2()
			r.skip(int(r.u4()))
		}
		if utf8[name] == "main" && isMain(acc, utf8[desc], major) {
			info.hasMain = true
		}
	}
	if r.err != nil {
		return classInfo{}, r.err
	}
	cn, ok := utf8[classIdx[this]]
	if !ok {
		return classInfo{}, errors.New("bad this_class index")
	}
	info.name = strings.ReplaceAll(cn, "/", ".")
	return info, nil
}

const (
	accPublic  = 0x0001
	accPrivate = 0x0002
	accStatic  = 0x0008
)

// isMain: public static void main(String[]); from Java 25 (class file 69)
// also the launch protocol's non-private main(String[]) or main().
func isMain(acc uint16, desc string, major int) bool {
	if acc&accPublic != 0 && acc&accStatic != 0 && desc == "([Ljava/lang/String;)V" {
		return true
	}
	return major >= 69 && acc&accPrivate == 0 && (desc == "([Ljava/lang/String;)V" || desc == "()V")
}

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) need(n int) bool {
	if r.err != nil || n < 0 || r.off+n > len(r.b) {
		r.err = errTruncated
		return false
	}
	return true
}
func (r *reader) u1() byte {
	if !r.need(1) {
		return 0
	}
	r.off++
	return r.b[r.off-1]
}
func (r *reader) u2() uint16 {
	if !r.need(2) {
		return 0
	}
	r.off += 2
	return binary.BigEndian.Uint16(r.b[r.off-2:])
}
func (r *reader) u4() uint32 {
	if !r.need(4) {
		return 0
	}
	r.off += 4
	return binary.BigEndian.Uint32(r.b[r.off-4:])
}
func (r *reader) bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	r.off += n
	return r.b[r.off-n : r.off]
}
func (r *reader) skip(n int) { r.bytes(n) }
