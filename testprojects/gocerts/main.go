// gocerts is a langbuild test project for bases: it reports the system CA
// certificates and time zones the image gives a static Go program.
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"time"
)

func main() {
	n := 0
	if b, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		for rest := b; ; {
			var blk *pem.Block
			if blk, rest = pem.Decode(rest); blk == nil {
				break
			}
			n++
		}
	}
	fmt.Println("certs:", n)
	if pool, err := x509.SystemCertPool(); err == nil {
		fmt.Println("pool ok:", pool != nil)
	}
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		fmt.Println("tz: Europe/Paris", time.Date(2024, 7, 1, 12, 0, 0, 0, loc).Format("-0700"))
	} else {
		fmt.Println("tz error:", err)
	}
	fmt.Println("local:", time.Local.String())
	fmt.Println("uid:", os.Getuid())
}
