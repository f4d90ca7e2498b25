package unsubscribe_test

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/unsubscribe"
)

var (
	key    = bytes.Repeat([]byte("k"), 32)
	oldKey = bytes.Repeat([]byte("o"), 32)
	issued = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
)

func signer(t *testing.T, keys ...[]byte) *unsubscribe.Signer {
	t.Helper()
	s, err := unsubscribe.NewSigner(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenRoundTrip(t *testing.T) {
	s := signer(t, key)
	tok := s.Sign("ana@example.com", issued)
	email, at, err := s.Verify(tok)
	if err != nil || email != "ana@example.com" || !at.Equal(issued) {
		t.Fatalf("Verify = %q %v %v", email, at, err)
	}
	if url.QueryEscape(tok) != tok {
		t.Errorf("token %q needs escaping in a URL", tok)
	}
	// A year-old link still works, and after a key rotation too.
	rotated := signer(t, bytes.Repeat([]byte("n"), 32), key)
	if email, _, err := rotated.Verify(tok); err != nil || email != "ana@example.com" {
		t.Errorf("after rotation: %q %v", email, err)
	}
}

func TestTokenRejects(t *testing.T) {
	s := signer(t, key)
	good := s.Sign("ana@example.com", issued)
	other := s.Sign("bob@example.com", issued)
	parts := strings.Split(good, ".")
	otherParts := strings.Split(other, ".")
	tests := []struct{ name, token string }{
		{"empty", ""},
		{"garbage", "hello"},
		{"forged with another key", signer(t, oldKey).Sign("ana@example.com", issued)},
		{"email swapped", strings.Join([]string{parts[0], parts[1], otherParts[2], parts[3]}, ".")},
		{"time changed", strings.Join([]string{parts[0], "zzzz", parts[2], parts[3]}, ".")},
		{"signature truncated", good[:len(good)-2]},
		{"signature of another", strings.Join([]string{parts[0], parts[1], parts[2], otherParts[3]}, ".")},
		{"version changed", "2" + good[1:]},
		{"bad base64 signature", strings.Join(parts[:3], ".") + ".!!!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.Verify(tt.token); !errors.Is(err, unsubscribe.ErrBadToken) {
				t.Errorf("Verify(%q) err = %v, want ErrBadToken", tt.token, err)
			}
		})
	}
}

func TestNewSignerRejectsShortKeys(t *testing.T) {
	if _, err := unsubscribe.NewSigner([]byte("short")); err == nil || err.Error() != "unsubscribe: key 0 is shorter than 32 bytes" {
		t.Errorf("err = %v", err)
	}
	if _, err := unsubscribe.NewSigner(); err == nil {
		t.Error("no keys accepted")
	}
}

func TestURL(t *testing.T) {
	s := signer(t, key)
	u := s.URL("https://shop.example/unsubscribe", "ana@example.com", issued)
	p, err := url.Parse(u)
	if err != nil || p.Host != "shop.example" || p.Path != "/unsubscribe" {
		t.Fatalf("URL = %q", u)
	}
	if email, _, err := s.Verify(p.Query().Get("t")); err != nil || email != "ana@example.com" {
		t.Errorf("token from URL: %q %v", email, err)
	}
	if u2 := s.URL("https://x.example/u?lang=fr", "a@b.c", issued); !strings.Contains(u2, "?lang=fr&t=") {
		t.Errorf("URL with query = %q", u2)
	}
}
