package java

import (
	"archive/zip"
	"bytes"
	"testing"
)

func FuzzManifest(f *testing.F) {
	f.Add([]byte("Manifest-Version: 1.0\r\nMain-Class: a.B\r\nClass-Path: lib/x\r\n .jar\r\n\r\n"))
	f.Add([]byte(" continuation first\n"))
	f.Fuzz(func(t *testing.T, mf []byte) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("META-INF/MANIFEST.MF")
		w.Write(mf)
		zw.Close()
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		readManifest(zr)
	})
}
