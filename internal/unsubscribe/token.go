// Package unsubscribe signs the unsubscribe links of every email and serves
// them: a GET confirmation page and the RFC 8058 one-click POST.
package unsubscribe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrBadToken is every token failure: malformed, forged, tampered or signed
// with an unknown key. The page says only that the link is not valid.
var ErrBadToken = errors.New("invalid unsubscribe token")

const tokenVersion = "1"

// Signer signs and verifies tokens. A token is
//
//	1.<issued-at, base 36 epoch seconds>.<base64url profile key>.<base64url HMAC-SHA256>
//
// where the MAC covers everything before it. Tokens do not expire: a link in
// a year-old email still works. The first key signs; every key verifies, so
// a secret can be rotated without breaking links already sent.
type Signer struct {
	keys [][]byte
}

// NewSigner returns a signer. keys[0] signs; all verify. Each key must be at
// least 32 bytes.
func NewSigner(keys ...[]byte) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("unsubscribe: no signing key")
	}
	for i, k := range keys {
		if len(k) < 32 {
			return nil, errors.New("unsubscribe: key " + strconv.Itoa(i) + " is shorter than 32 bytes")
		}
	}
	return &Signer{keys: keys}, nil
}

// Sign returns the token of a profile key issued at t.
func (s *Signer) Sign(profileKey string, t time.Time) string {
	payload := tokenVersion + "." + strconv.FormatInt(t.Unix(), 36) + "." + base64.RawURLEncoding.EncodeToString([]byte(profileKey))
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac(s.keys[0], payload))
}

// Verify checks a token and returns its profile key and issue time.
func (s *Signer) Verify(token string) (string, time.Time, error) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", time.Time{}, ErrBadToken
	}
	payload, sig := token[:i], token[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return "", time.Time{}, ErrBadToken
	}
	ok := false
	for _, k := range s.keys {
		if hmac.Equal(got, mac(k, payload)) {
			ok = true
			break
		}
	}
	if !ok {
		return "", time.Time{}, ErrBadToken
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || parts[0] != tokenVersion {
		return "", time.Time{}, ErrBadToken
	}
	iat, err := strconv.ParseInt(parts[1], 36, 64)
	if err != nil {
		return "", time.Time{}, ErrBadToken
	}
	key, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(key) == 0 {
		return "", time.Time{}, ErrBadToken
	}
	return string(key), time.Unix(iat, 0).UTC(), nil
}

// URL returns base (e.g. "https://shop.example/unsubscribe") with the token
// of profileKey as its t parameter.
func (s *Signer) URL(base, profileKey string, t time.Time) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "t=" + url.QueryEscape(s.Sign(profileKey, t))
}

func mac(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// ParseKeys reads UNSUBSCRIBE_SECRET: comma-separated base64 keys.
func ParseKeys(s string) ([][]byte, error) {
	var keys [][]byte
	for i, part := range strings.Split(s, ",") {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("UNSUBSCRIBE_SECRET key %d is not base64", i)
		}
		if len(k) < 32 {
			return nil, fmt.Errorf("UNSUBSCRIBE_SECRET key %d is shorter than 32 bytes", i)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
