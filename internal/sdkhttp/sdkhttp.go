// Package sdkhttp is the HTTP client parcours gives its aws-sdk-go-v2
// clients. It is the SDK's own client (awshttp.BuildableClient) with one
// change: request bodies reach net/http as plain io.ReadClosers.
//
// Why: smithy-go wraps every request body in a "safe" closer and closes it
// as soon as the response headers are back. When the body is an
// io.WriterTo (every JSON request is a *bytes.Reader), the wrapper's
// WriteTo answers io.EOF once closed. net/http's writeLoop, after copying
// Content-Length bytes, reads the body once more to check nothing is left
// (through WriteTo when there is one). If the server has already answered
// — the body went straight to the socket, headers first — and the writeLoop
// only gets to that check after the SDK closed the body (a goroutine that
// was not scheduled in time, on a busy machine), WriteTo's io.EOF is taken
// as a failed write and the connection is closed under the response being
// read: "deserialization failed, read tcp …: use of closed network
// connection". Through Read, the same late check sees (0, io.EOF), the
// normal end of a body, and nothing is closed.
package sdkhttp

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Client is an aws.HTTPClient.
type Client struct{ next aws.HTTPClient }

// New returns the SDK's default HTTP client with request bodies unwrapped
// to io.ReadClosers. Options change its transport (as
// BuildableClient.WithTransportOptions does).
func New(opts ...func(*http.Transport)) Client {
	return Client{next: awshttp.NewBuildableClient().WithTransportOptions(opts...)}
}

// Wrap unwraps the request bodies of c (nil: the SDK's default client).
func Wrap(c aws.HTTPClient) Client {
	if c == nil {
		return New()
	}
	return Client{next: c}
}

// Do sends the request.
func (c Client) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readCloser{r.Body}
	}
	return c.next.Do(r)
}

// readCloser hides every method of a body but Read and Close.
type readCloser struct{ rc io.ReadCloser }

func (b readCloser) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readCloser) Close() error               { return b.rc.Close() }
