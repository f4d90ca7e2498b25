package touchpoint

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// seedRequests reads the events/<source> fixtures as seeds: topic header and
// body.
func seedRequests(f *testing.F, source string) []Request {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(eventsDir, source, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures in %s/%s", eventsDir, source)
	}
	var out []Request
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		r, err := NewRequest(ev.Headers, ev.Body, ev.IsBase64Encoded)
		if err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		out = append(out, r)
	}
	return out
}

// checkDecode runs Decode and checks what it may return: events, or an
// *InputError, or an *IgnoredError; never a panic or another error.
func checkDecode(t *testing.T, s Source, r Request) {
	evs, err := s.Decode(r)
	var in *InputError
	var ig *IgnoredError
	switch {
	case err == nil:
		for _, ev := range evs {
			if ev.ID == "" || ev.OccurredAt.IsZero() || ev.Type == "" {
				t.Fatalf("incomplete event %+v", ev)
			}
			if _, err := json.Marshal(ev); err != nil {
				t.Fatalf("event does not marshal: %v", err)
			}
		}
	case errors.As(err, &in):
		if evs != nil {
			t.Fatal("events with an error")
		}
	case errors.As(err, &ig):
	default:
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
}

func FuzzShopify(f *testing.F) {
	for _, r := range seedRequests(f, "shopify") {
		f.Add(r.Headers.Get("X-Shopify-Topic"), r.Body)
	}
	sh, err := NewShopify(DevShopifySecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		h := shopifyHeaders(topic)
		r := Request{Headers: h, Body: body}
		checkDecode(t, sh, r)
		_ = sh.Verify(r)
	})
}

func FuzzWooCommerce(f *testing.F) {
	for _, r := range seedRequests(f, "woocommerce") {
		f.Add(r.Headers.Get("X-WC-Webhook-Topic"), r.Body)
	}
	w, err := NewWooCommerce(DevWooCommerceSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		h := wooHeaders(topic)
		if topic == "" {
			h.Del("X-WC-Webhook-Topic")
		}
		r := Request{Headers: h, Body: body}
		_ = w.Verify(r)
		checkDecode(t, w, r)
	})
}

func FuzzStandard(f *testing.F) {
	for _, r := range seedRequests(f, "standard") {
		f.Add(r.Body)
	}
	s, err := NewStandard(DevStandardSecret, func() time.Time { return fixtureNow })
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := Request{Headers: standardHeaders(), Body: body}
		_ = s.Verify(r)
		checkDecode(t, s, r)
	})
}
