package ingest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// One representative delivery per source.
var benchFixtures = []struct{ source, file string }{
	{"shopify", "shopify/orders-create.json"},
	{"woocommerce", "woocommerce/order-created.json"},
	{"standard", "standard/order-placed.json"},
}

type nopStore struct{}

func (nopStore) Apply(context.Context, touchpoint.Event) (profile.Outcome, error) {
	return profile.Outcome{Status: profile.Stored}, nil
}

func quietHandler(b *testing.B, store ingest.Store) *ingest.Handler {
	return ingest.New(store, emf.New(io.Discard, time.Now), slog.New(slog.NewJSONHandler(io.Discard, nil)), sources(b)...)
}

// BenchmarkIngest is the handler's own cost: verify, decode, answer (the
// store does nothing).
func BenchmarkIngest(b *testing.B) {
	h := quietHandler(b, nopStore{})
	for _, f := range benchFixtures {
		req := fixture(b, f.file)
		b.Run(f.source, func(b *testing.B) {
			b.SetBytes(int64(len(req.Body)))
			b.ReportAllocs()
			for b.Loop() {
				resp, _ := h.Handle(context.Background(), req)
				if resp.StatusCode != 200 {
					b.Fatalf("%d %s", resp.StatusCode, resp.Body)
				}
			}
		})
	}
}

// BenchmarkFloor is the least any handler must do with the same body: one
// HMAC-SHA256 and one json.Unmarshal. BenchmarkIngest/x ÷ BenchmarkFloor/x
// is the handler's overhead.
func BenchmarkFloor(b *testing.B) {
	for _, f := range benchFixtures {
		req := fixture(b, f.file)
		body := []byte(req.Body)
		key := []byte(touchpoint.DevShopifySecret)
		prefix := ""
		switch f.source {
		case "woocommerce":
			key = []byte(touchpoint.DevWooCommerceSecret)
		case "standard":
			k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(touchpoint.DevStandardSecret, "whsec_"))
			if err != nil {
				b.Fatal(err)
			}
			key, prefix = k, req.Headers["webhook-id"]+"."+req.Headers["webhook-timestamp"]+"."
		}
		b.Run(f.source, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				m := hmac.New(sha256.New, key)
				m.Write([]byte(prefix))
				m.Write(body)
				_ = m.Sum(nil)
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIngestEmulator is a full round trip through the real SDK client
// and the embedded emulator: "shopify" stores a new event each time
// (Shopify's event id header is not signed, so it can vary), "duplicate"
// redelivers one. minidyn snapshots the whole table in every transaction,
// so its cost grows with the table: compare runs of equal -benchtime.
func BenchmarkIngestEmulator(b *testing.B) {
	e := ddbtest.Start(b)
	req := fixture(b, "shopify/orders-create.json")
	b.Run("shopify", func(b *testing.B) {
		h := quietHandler(b, profile.NewStore(e.Client, e.NewTable(b)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			r := req
			r.Headers = map[string]string{}
			for k, v := range req.Headers {
				r.Headers[k] = v
			}
			r.Headers["x-shopify-event-id"] = fmt.Sprint("bench-", i)
			resp, _ := h.Handle(context.Background(), r)
			if resp.StatusCode != 200 {
				b.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		h := quietHandler(b, profile.NewStore(e.Client, e.NewTable(b)))
		b.ReportAllocs()
		for b.Loop() {
			resp, _ := h.Handle(context.Background(), req)
			if resp.StatusCode != 200 {
				b.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
		}
	})
}
