package transport

import (
	"fmt"
	"io"
	"net/http"
)

// rewinder gives a request sent a second time a fresh body from GetBody.
// go-containerregistry sends the very same request again after fetching a new
// Bearer token when the registry refused the old one (it expired during a
// long push), and after a network error; the first attempt used the body up,
// so a blob upload (PATCH) would go out empty and fail with "file already
// closed". rewinder marks the bodies it passes on by wrapping them (the
// request is the caller's, as the token is set on it by the caller's
// transport too); seeing its mark again means the request is being re-sent.
type rewinder struct{ next http.RoundTripper }

// sentBody marks a body rewinder has passed on.
type sentBody struct{ io.ReadCloser }

func (rw rewinder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody != nil {
		if _, again := req.Body.(*sentBody); again {
			b, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("reading the request body again to resend it: %w", err)
			}
			req.Body = b
		}
		req.Body = &sentBody{req.Body}
	}
	return rw.next.RoundTrip(req)
}
