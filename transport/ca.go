package transport

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// LoadCAs returns the system's certificate authorities plus those in the PEM
// files (each may be a bundle), for Options.RootCAs: a private registry's CA
// is trusted while public registries (a distroless base) still are too.
func LoadCAs(files ...string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading CA file: %w", err)
		}
		n := 0
		for rest := b; ; {
			var block *pem.Block
			if block, rest = pem.Decode(rest); block == nil {
				break
			}
			if block.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("CA file %s: certificate %d: %w", f, n+1, err)
			}
			pool.AddCert(c)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate (want -----BEGIN CERTIFICATE-----)", f)
		}
	}
	return pool, nil
}
