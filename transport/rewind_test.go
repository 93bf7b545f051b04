package transport

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// bodyReader is a RoundTripper that reads each request's body whole, as the
// network would, and refuses the first request as an expired token would.
type bodyReader struct{ got []string }

func (b *bodyReader) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	b.got = append(b.got, string(body))
	status := http.StatusAccepted
	if len(b.got) == 1 {
		status = http.StatusUnauthorized
	}
	return &http.Response{StatusCode: status, Body: http.NoBody, Request: req}, nil
}

// TestRewinderResendsBody: go-containerregistry sends a request refused for
// an expired token again, the same *http.Request, after renewing the token;
// the second attempt must carry the whole body again.
func TestRewinderResendsBody(t *testing.T) {
	const blob = "layer bytes"
	for _, tc := range []struct {
		name     string
		getBody  bool
		want     []string
		wantFail bool
	}{
		{name: "rewindable", getBody: true, want: []string{blob, blob}},
		// Without GetBody (a streamed layer) nothing can be re-read: the
		// second attempt fails and go-containerregistry starts the upload over.
		{name: "streamed", getBody: false, wantFail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := &bodyReader{}
			rt := rewinder{next}
			req, _ := http.NewRequest(http.MethodPatch, "http://registry.test/v2/app/blobs/uploads/1", strings.NewReader(blob))
			if !tc.getBody {
				req.GetBody = nil
				req.Body = io.NopCloser(&onceReader{s: blob})
			}
			if _, err := rt.RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if tc.wantFail {
				if err == nil && resp.StatusCode == http.StatusAccepted && next.got[1] == blob {
					t.Fatalf("a body with no GetBody was sent twice: %q", next.got)
				}
				return
			}
			if err != nil || resp.StatusCode != http.StatusAccepted {
				t.Fatalf("second attempt: %v %v", resp, err)
			}
			if len(next.got) != 2 || next.got[0] != tc.want[0] || next.got[1] != tc.want[1] {
				t.Errorf("bodies sent %q, want %q", next.got, tc.want)
			}
		})
	}
}

// onceReader gives its string once, then fails as a closed file does.
type onceReader struct {
	s    string
	done bool
}

func (o *onceReader) Read(p []byte) (int, error) {
	if o.done {
		return 0, os.ErrClosed
	}
	o.done = true
	return copy(p, o.s), io.EOF
}
