package ddbtest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// lateEnd is a request body whose read after its last byte (the one that
// returns io.EOF) is late, as when the goroutine reading it is descheduled
// on a loaded machine.
type lateEnd struct {
	io.ReadCloser
	left int64
}

func (b *lateEnd) Read(p []byte) (int, error) {
	if b.left == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// The dynalite front's proxy gives the whole answer even when the check
// that the request body ended comes after the backend has begun to answer
// (CI saw a Scan's answer cut short: the server closed the inbound body
// once the response started, the Transport's late read of it failed, and
// the Transport closed the backend connection mid-answer).
func TestBackendProxyReadsBodyFirst(t *testing.T) {
	const chunks, chunk = 16, 1 << 16
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, r.ContentLength)); err != nil {
			t.Errorf("backend: %v", err)
		}
		part := strings.Repeat("x", chunk)
		for range chunks {
			_, _ = io.WriteString(w, part)
			w.(http.Flusher).Flush()
			time.Sleep(5 * time.Millisecond)
		}
	}))
	defer backend.Close()
	target, err := url.Parse(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := backendProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &lateEnd{ReadCloser: r.Body, left: r.ContentLength}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	resp, err := http.Post(front.URL, "application/x-amz-json-1.0", bytes.NewReader([]byte(`{"TableName":"t"}`)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || len(got) != chunks*chunk {
		t.Fatalf("read %d of %d bytes: %v", len(got), chunks*chunk, err)
	}
}
