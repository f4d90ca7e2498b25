package touchpoint

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewSourceErrors(t *testing.T) {
	now := func() time.Time { return fixtureNow }
	cases := []struct {
		name string
		mk   func() error
		want string
	}{
		{"shopify empty", func() error { _, err := NewShopify(""); return err }, "shopify: secret is empty"},
		{"shopify only commas", func() error { _, err := NewShopify(" , "); return err }, "shopify: secret is empty"},
		{"shopify three", func() error { _, err := NewShopify("a,b,c"); return err }, "shopify: at most two comma-separated secrets (old,new) are accepted"},
		{"woocommerce empty", func() error { _, err := NewWooCommerce(""); return err }, "woocommerce: secret is empty"},
		{"standard empty", func() error { _, err := NewStandard("", now); return err }, "standard: secret is empty"},
		{"standard not base64", func() error { _, err := NewStandard("whsec_!!!", now); return err }, `standard: secret 1: not "whsec_" followed by base64`},
		{"standard second bad", func() error { _, err := NewStandard(DevStandardSecret+",whsec_", now); return err }, "standard: secret 2: empty key"},
		{"standard nil clock", func() error { _, err := NewStandard(DevStandardSecret, nil); return err }, "standard: clock is nil"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.mk()
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func hdrs(kv ...string) http.Header {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return HeadersFrom(m)
}

// TestHeadersFrom: API Gateway lower-cases names; Get must find them.
func TestHeadersFrom(t *testing.T) {
	h := HeadersFrom(map[string]string{"x-shopify-hmac-sha256": "a", "WEBHOOK-ID": "b", "X-WC-Webhook-Topic": "c"})
	for name, want := range map[string]string{"X-Shopify-Hmac-Sha256": "a", "x-shopify-hmac-sha256": "a", "Webhook-Id": "b", "webhook-id": "b", "x-wc-webhook-topic": "c"} {
		if got := h.Get(name); got != want {
			t.Errorf("Get(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestHMACSignatures(t *testing.T) {
	body := []byte(`{"id":5981234567890,"email":"bob@example.com"}`)
	type source struct {
		name, header, secret string
		mk                   func(string) (Source, error)
	}
	sources := []source{
		{"shopify", "X-Shopify-Hmac-Sha256", DevShopifySecret, func(s string) (Source, error) { return NewShopify(s) }},
		{"woocommerce", "X-WC-Webhook-Signature", DevWooCommerceSecret, func(s string) (Source, error) { return NewWooCommerce(s) }},
	}
	for _, src := range sources {
		good := SignHMAC(src.secret, body)
		cases := []struct {
			name    string
			secrets string
			headers http.Header
			body    []byte
			ok      bool
		}{
			{"valid", src.secret, hdrs(strings.ToLower(src.header), good), body, true},
			{"canonical header case", src.secret, hdrs(src.header, good), body, true},
			{"upper header case", src.secret, hdrs(strings.ToUpper(src.header), good), body, true},
			{"wrong secret", "not-the-secret", hdrs(src.header, good), body, false},
			{"truncated signature", src.secret, hdrs(src.header, good[:len(good)-4]), body, false},
			{"signature not base64", src.secret, hdrs(src.header, "%%%"), body, false},
			{"empty signature", src.secret, hdrs(src.header, ""), body, false},
			{"missing header", src.secret, hdrs("Content-Type", "application/json"), body, false},
			{"body re-encoded", src.secret, hdrs(src.header, good), []byte(strings.Replace(string(body), ",", ", ", 1)), false},
			{"body with trailing newline", src.secret, hdrs(src.header, good), append(append([]byte{}, body...), '\n'), false},
			{"rotation: new secret second", "old-secret," + src.secret, hdrs(src.header, good), body, true},
			{"rotation: new secret first", src.secret + ",old-secret", hdrs(src.header, good), body, true},
			{"rotation: neither", "old-secret,older-secret", hdrs(src.header, good), body, false},
			{"hex instead of base64", src.secret, hdrs(src.header, "6f1ed002ab5595859014ebf0951522d9"), body, false},
		}
		for _, tc := range cases {
			t.Run(src.name+"/"+tc.name, func(t *testing.T) {
				s, err := src.mk(tc.secrets)
				if err != nil {
					t.Fatal(err)
				}
				err = s.Verify(Request{Headers: tc.headers, Body: tc.body})
				if tc.ok && err != nil {
					t.Fatalf("Verify: %v, want ok", err)
				}
				if !tc.ok && !errors.Is(err, ErrBadSignature) {
					t.Fatalf("Verify: %v, want ErrBadSignature", err)
				}
				if !tc.ok && err.Error() != "invalid signature" {
					t.Fatalf("message %q", err.Error())
				}
			})
		}
	}
}

func TestWooCommercePing(t *testing.T) {
	w, err := NewWooCommerce(DevWooCommerceSecret)
	if err != nil {
		t.Fatal(err)
	}
	form := hdrs("content-type", "application/x-www-form-urlencoded")
	cases := []struct {
		name    string
		headers http.Header
		body    string
		verify  bool // Verify passes
		ping    bool // Decode returns no events, no error
	}{
		{"unsigned ping", form, "webhook_id=12", true, true},
		{"signed ping", hdrs("x-wc-webhook-signature", SignHMAC(DevWooCommerceSecret, []byte("webhook_id=12"))), "webhook_id=12", true, true},
		{"unsigned ping with extra field", form, "webhook_id=12&topic=order.created", false, false},
		{"unsigned ping, not digits", form, "webhook_id=abc", false, false},
		{"unsigned ping with topic header", hdrs("x-wc-webhook-topic", "order.created"), "webhook_id=12", false, false},
		{"unsigned JSON", form, `{"id":1}`, false, false},
		{"unsigned empty", form, "", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Request{Headers: tc.headers, Body: []byte(tc.body)}
			err := w.Verify(r)
			if tc.verify != (err == nil) {
				t.Fatalf("Verify: %v, want pass=%v", err, tc.verify)
			}
			if !tc.verify {
				if !errors.Is(err, ErrBadSignature) {
					t.Fatalf("Verify: %v, want ErrBadSignature", err)
				}
				return
			}
			evs, err := w.Decode(r)
			if tc.ping && (err != nil || evs != nil) {
				t.Fatalf("Decode: %v, %v; want no events and no error", evs, err)
			}
		})
	}
}

func TestStandardSignatures(t *testing.T) {
	body := []byte(`{"type":"product_viewed","occurred_at":"2025-11-22T07:58:41Z","email":"alice@example.com","product":{"id":"1"}}`)
	ts := time.Unix(1763798400, 0)
	const id = "msg_test_1"
	sign := func(secret, id string, ts time.Time, body []byte) string {
		t.Helper()
		s, err := SignStandard(secret, id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(DevStandardSecret, id, ts, body)
	other := "whsec_" + "b3RoZXItc2VjcmV0LWZvci10ZXN0cw==" // base64("other-secret-for-tests")
	unix := "1763798400"
	cases := []struct {
		name    string
		secrets string
		now     time.Time
		headers http.Header
		body    []byte
		ok      bool
	}{
		{"valid", DevStandardSecret, ts.Add(time.Minute), hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", good), body, true},
		{"canonical header case", DevStandardSecret, ts, hdrs("Webhook-Id", id, "Webhook-Timestamp", unix, "Webhook-Signature", good), body, true},
		{"exactly 5 minutes late", DevStandardSecret, ts.Add(5 * time.Minute), hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", good), body, true},
		{"exactly 5 minutes early", DevStandardSecret, ts.Add(-5 * time.Minute), hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", good), body, true},
		{"timestamp too old", DevStandardSecret, ts.Add(5*time.Minute + time.Second), hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", good), body, false},
		{"timestamp in the future", DevStandardSecret, ts.Add(-5*time.Minute - time.Second), hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", good), body, false},
		{"timestamp not a number", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", "2025-11-22T08:00:00Z", "webhook-signature", good), body, false},
		{"timestamp changed", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", "1763798401", "webhook-signature", good), body, false},
		{"id changed", DevStandardSecret, ts, hdrs("webhook-id", "msg_test_2", "webhook-timestamp", unix, "webhook-signature", good), body, false},
		{"body re-encoded", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", good), []byte(strings.Replace(string(body), ",", ", ", 1)), false},
		{"wrong secret", other, ts, hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", good), body, false},
		{"rotation: second secret", other + "," + DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", good), body, true},
		{"several signatures, valid last", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", sign(other, id, ts, body)+" v1,AAAA "+good), body, true},
		{"several signatures, none valid", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", sign(other, id, ts, body)+" v1,AAAA"), body, false},
		{"unknown version only", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", "v2,"+strings.TrimPrefix(good, "v1,")), body, false},
		{"no version", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", strings.TrimPrefix(good, "v1,")), body, false},
		{"truncated signature", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", unix, "webhook-signature", good[:len(good)-4]), body, false},
		{"missing id", DevStandardSecret, ts, hdrs("webhook-timestamp", unix, "webhook-signature", good), body, false},
		{"missing timestamp", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-signature", good), body, false},
		{"missing signature", DevStandardSecret, ts, hdrs("webhook-id", id, "webhook-timestamp", unix), body, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewStandard(tc.secrets, func() time.Time { return tc.now })
			if err != nil {
				t.Fatal(err)
			}
			err = s.Verify(Request{Headers: tc.headers, Body: tc.body})
			if tc.ok && err != nil {
				t.Fatalf("Verify: %v, want ok", err)
			}
			if !tc.ok && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify: %v, want ErrBadSignature", err)
			}
		})
	}
}
