package touchpoint

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
)

// HeadersFrom builds an http.Header from API Gateway's header map. API
// Gateway (HTTP API, payload v2) delivers header names lower-cased, and a
// repeated header as one comma-joined value; Set canonicalizes each name
// ("x-shopify-hmac-sha256" becomes "X-Shopify-Hmac-Sha256"), so the sources'
// Get lookups find them whatever case the sender used.
//
// It is on every webhook's path, so it allocates little: the values share
// one backing array (each capped, so an Add cannot spill into the next),
// and the names the sources read, and the usual ones, come canonical from
// a fixed table instead of being canonicalized again.
func HeadersFrom(m map[string]string) http.Header {
	h := make(http.Header, len(m))
	vals := make([]string, len(m))
	i := 0
	for k, v := range m {
		ck, ok := canonicalNames[k]
		if !ok {
			ck = textproto.CanonicalMIMEHeaderKey(k)
		}
		vals[i] = v
		h[ck] = vals[i : i+1 : i+1]
		i++
	}
	return h
}

// canonicalNames maps the lower-case header names API Gateway delivers for
// the sources' headers (and the common ones) to their canonical form. It is
// fixed: names a sender makes up are canonicalized as they come, never
// added here.
var canonicalNames = func() map[string]string {
	names := []string{
		"X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Event-Id",
		"X-Shopify-Webhook-Id", "X-Shopify-Api-Version", "X-Shopify-Triggered-At",
		"X-WC-Webhook-Signature", "X-WC-Webhook-Topic", "X-WC-Webhook-Source", "X-WC-Webhook-ID",
		"X-WC-Webhook-Delivery-ID", "X-WC-Webhook-Event", "X-WC-Webhook-Resource",
		"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature",
		"Accept", "Accept-Encoding", "Content-Length", "Content-Type", "Host", "User-Agent",
		"X-Amzn-Trace-Id", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto",
	}
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = textproto.CanonicalMIMEHeaderKey(n)
	}
	return m
}()

// splitSecrets parses a secret setting: one secret, or two comma-separated
// secrets during a rotation (the old and the new; either is accepted).
func splitSecrets(name, secrets string) ([]string, error) {
	var out []string
	for s := range strings.SplitSeq(secrets, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	switch {
	case len(out) == 0:
		return nil, errors.New(name + ": secret is empty")
	case len(out) > 2:
		return nil, errors.New(name + ": at most two comma-separated secrets (old,new) are accepted")
	}
	return out, nil
}

// SignHMAC returns base64(HMAC-SHA256(secret, body)): the value of
// X-Shopify-Hmac-Sha256 and X-WC-Webhook-Signature. Tests and `make dev`
// use it to sign sample deliveries.
func SignHMAC(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verifyHMAC checks a base64 HMAC-SHA256 header value against each secret in
// constant time.
func verifyHMAC(keys []*macKey, body []byte, header string) error {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	ok := false
	var sum [sha256.Size]byte
	for _, k := range keys {
		// Check every key, so timing does not tell which one matched.
		if hmac.Equal(k.sum(sum[:0], nil, body), got) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// macKey is one secret with its HMAC-SHA256 states kept for reuse:
// hmac.New hashes the key's pads and allocates on every call, a reset
// state does neither. Each state is used by one request at a time.
type macKey struct {
	key  []byte
	pool sync.Pool
}

func newMACKey(key []byte) *macKey {
	k := &macKey{key: key}
	k.pool.New = func() any { return hmac.New(sha256.New, k.key) }
	return k
}

// sum appends HMAC-SHA256(key, prefix+body) to dst.
func (k *macKey) sum(dst, prefix, body []byte) []byte {
	m := k.pool.Get().(hash.Hash)
	m.Reset()
	m.Write(prefix)
	m.Write(body)
	dst = m.Sum(dst)
	k.pool.Put(m)
	return dst
}

func byteKeys(secrets []string) []*macKey {
	keys := make([]*macKey, len(secrets))
	for i, s := range secrets {
		keys[i] = newMACKey([]byte(s))
	}
	return keys
}

// NewRequest builds a Request from API Gateway's (HTTP API, payload v2)
// header map and body, base64-decoding the body when the gateway encoded it.
func NewRequest(headers map[string]string, body string, base64Encoded bool) (Request, error) {
	r := Request{Headers: HeadersFrom(headers), Body: []byte(body)}
	if base64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return Request{}, fmt.Errorf("decode base64 body: %w", err)
		}
		r.Body = b
	}
	return r, nil
}
