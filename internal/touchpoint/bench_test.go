package touchpoint

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// benchCases are one representative delivery per source.
var benchCases = []struct{ source, fixture, secret string }{
	{"shopify", "orders-create", DevShopifySecret},
	{"woocommerce", "order-updated-processing", DevWooCommerceSecret},
	{"standard", "product-viewed", ""},
}

func benchRequest(b *testing.B, source, fixture string) Request {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(eventsDir, source, fixture+".json"))
	if err != nil {
		b.Fatal(err)
	}
	return requestOf(b, raw)
}

// BenchmarkDecode measures Verify + Decode of one delivery, as the ingest
// handler runs them. Compare with BenchmarkFloor/<source> from the same run.
func BenchmarkDecode(b *testing.B) {
	srcs := devSources(b)
	for _, bc := range benchCases {
		r := benchRequest(b, bc.source, bc.fixture)
		s := srcs[bc.source]
		b.Run(bc.source, func(b *testing.B) {
			b.SetBytes(int64(len(r.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Verify(r); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Decode(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFloor is the least any decoder could do with the same body:
// json.Unmarshal into map[string]any plus one HMAC-SHA256 of the body.
func BenchmarkFloor(b *testing.B) {
	for _, bc := range benchCases {
		r := benchRequest(b, bc.source, bc.fixture)
		key := []byte(bc.secret + "floor")
		b.Run(bc.source, func(b *testing.B) {
			b.SetBytes(int64(len(r.Body)))
			b.ReportAllocs()
			for b.Loop() {
				m := hmac.New(sha256.New, key)
				m.Write(r.Body)
				_ = m.Sum(nil)
				var v map[string]any
				if err := json.Unmarshal(r.Body, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
