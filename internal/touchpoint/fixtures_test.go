package touchpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var update = flag.Bool("update", false, "rewrite events/<source>/*.json and testdata/golden from testdata/webhooks")

// fixtureNow is the clock the Standard source runs on in tests: one minute
// after the webhook-timestamp of the Standard fixtures.
var fixtureNow = time.Unix(1763798400, 0).Add(time.Minute)

const eventsDir = "../../events"

// spec is an editable fixture in testdata/webhooks/<source>/<case>.json:
// unsigned headers and the body (a JSON value, compacted on the wire, or a
// raw string). The generator signs it with the dev secrets and writes the
// API Gateway event to events/<source>/<case>.json.
type spec struct {
	Headers  map[string]string `json:"headers"`
	Body     json.RawMessage   `json:"body,omitempty"`
	RawBody  *string           `json:"raw_body,omitempty"`
	Base64   bool              `json:"base64,omitempty"`   // deliver with isBase64Encoded
	Unsigned bool              `json:"unsigned,omitempty"` // no signature header (WooCommerce ping)
}

// outcome is what a golden file holds: the decoded events, or the reason a
// delivery is ignored.
type outcome struct {
	Events  []Event         `json:"events,omitempty"`
	Ignored string          `json:"ignored,omitempty"`
	Privacy *PrivacyRequest `json:"privacy,omitempty"`
}

func devSources(t testing.TB) map[string]Source {
	t.Helper()
	out := map[string]Source{}
	sh, err := NewShopify(DevShopifySecret)
	if err != nil {
		t.Fatal(err)
	}
	out["shopify"] = sh
	wc, err := NewWooCommerce(DevWooCommerceSecret)
	if err != nil {
		t.Fatal(err)
	}
	out["woocommerce"] = wc
	st, err := NewStandard(DevStandardSecret, func() time.Time { return fixtureNow })
	if err != nil {
		t.Fatal(err)
	}
	out["standard"] = st
	return out
}

func wireBody(sp spec) ([]byte, error) {
	if sp.RawBody != nil {
		return []byte(*sp.RawBody), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, sp.Body); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// signers add the signature header a source expects, with its dev secret.
var signers = map[string]func(h map[string]string, body []byte) error{
	"shopify": func(h map[string]string, body []byte) error {
		h["x-shopify-hmac-sha256"] = SignHMAC(DevShopifySecret, body)
		return nil
	},
	"woocommerce": func(h map[string]string, body []byte) error {
		h["x-wc-webhook-signature"] = SignHMAC(DevWooCommerceSecret, body)
		return nil
	},
	"standard": func(h map[string]string, body []byte) error {
		sec, err := strconv.ParseInt(h["webhook-timestamp"], 10, 64)
		if err != nil {
			return fmt.Errorf("webhook-timestamp: %w", err)
		}
		sig, err := SignStandard(DevStandardSecret, h["webhook-id"], time.Unix(sec, 0), body)
		h["webhook-signature"] = sig
		return err
	},
}

// buildFixture turns a spec into the API Gateway HTTP API (payload v2) event
// `sam local invoke -e` and the tests read.
func buildFixture(source, name string, sp spec) ([]byte, error) {
	body, err := wireBody(sp)
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	h := map[string]string{}
	for k, v := range sp.Headers {
		h[strings.ToLower(k)] = v
	}
	h["content-length"] = fmt.Sprint(len(body))
	if !sp.Unsigned {
		sign, ok := signers[source]
		if !ok {
			return nil, fmt.Errorf("no signer for %s", source)
		}
		if err := sign(h, body); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256([]byte(source + "/" + name))
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "POST /webhooks/{source}",
		RawPath:        "/webhooks/" + source,
		Headers:        h,
		PathParameters: map[string]string{"source": source},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "POST /webhooks/{source}",
			AccountID:    "123456789012",
			Stage:        "$default",
			RequestID:    hex.EncodeToString(sum[:8]),
			APIID:        "parcours",
			DomainName:   "localhost",
			DomainPrefix: "localhost",
			Time:         "22/Nov/2025:08:00:00 +0000",
			TimeEpoch:    1763798400000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    "POST",
				Path:      "/webhooks/" + source,
				Protocol:  "HTTP/1.1",
				SourceIP:  "127.0.0.1",
				UserAgent: h["user-agent"],
			},
		},
		Body:            string(body),
		IsBase64Encoded: sp.Base64,
	}
	if sp.Base64 {
		ev.Body = base64.StdEncoding.EncodeToString(body)
	}
	out, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

type fixture struct {
	source, name string
	event        []byte // events/<source>/<name>.json
}

// loadFixtures builds every spec and checks (or, with -update, rewrites)
// events/. A stale events/ file fails the test: edit testdata/webhooks and
// run `go test ./internal/touchpoint -update`.
func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	specs, err := filepath.Glob("testdata/webhooks/*/*.json")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no fixture specs in testdata/webhooks (%v)", err)
	}
	var out []fixture
	for _, p := range specs {
		source := filepath.Base(filepath.Dir(p))
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var sp spec
		if err := json.Unmarshal(raw, &sp); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		want, err := buildFixture(source, name, sp)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		dst := filepath.Join(eventsDir, source, name+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(dst)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/touchpoint -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: it differs from %s signed with the dev secret (run go test ./internal/touchpoint -update)", dst, p)
		}
		out = append(out, fixture{source, name, got})
	}
	return out
}

// requestOf reads an API Gateway event the way the ingest handler does.
func requestOf(t testing.TB, raw []byte) Request {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	r, err := NewRequest(ev.Headers, ev.Body, ev.IsBase64Encoded)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decodeOutcome(t testing.TB, s Source, r Request) outcome {
	t.Helper()
	if ps, ok := s.(PrivacySource); ok {
		req, ok, err := ps.DecodePrivacy(r)
		if err != nil {
			t.Fatalf("decode privacy request: %v", err)
		}
		if ok {
			return outcome{Privacy: &req}
		}
	}
	evs, err := s.Decode(r)
	var ig *IgnoredError
	switch {
	case errors.As(err, &ig):
		return outcome{Ignored: ig.Reason}
	case err != nil:
		t.Fatalf("decode: %v", err)
	}
	return outcome{Events: evs}
}

// checkGolden compares v, as indented JSON, with testdata/golden/<name>.json.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	p := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/touchpoint -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("decoded events differ from %s (run go test ./internal/touchpoint -update and review the diff)\ngot:\n%s", p, got)
	}
}

// TestFixtures decodes every events/ fixture, as the ingest handler will
// receive it, and compares the canonical events with the golden files.
func TestFixtures(t *testing.T) {
	sources := devSources(t)
	seen := map[string]int{}
	for _, fx := range loadFixtures(t) {
		t.Run(fx.source+"/"+fx.name, func(t *testing.T) {
			src, ok := sources[fx.source]
			if !ok {
				t.Fatalf("no source %q", fx.source)
			}
			r := requestOf(t, fx.event)
			if err := src.Verify(r); err != nil {
				t.Fatalf("verify: %v", err)
			}
			out := decodeOutcome(t, src, r)
			for _, ev := range out.Events {
				if ev.ID == "" || ev.Source != fx.source || ev.OccurredAt.IsZero() || !slices.Contains(Types, ev.Type) {
					t.Errorf("incomplete event: id=%q source=%q type=%q occurred_at=%v", ev.ID, ev.Source, ev.Type, ev.OccurredAt)
				}
				if ev.OccurredAt.Location() != time.UTC {
					t.Errorf("occurred_at %v is not UTC", ev.OccurredAt)
				}
			}
			seen[fx.source]++
			checkGolden(t, fx.source+"/"+fx.name, out)
		})
	}
	for name := range sources {
		if seen[name] == 0 {
			t.Errorf("no fixture for source %s", name)
		}
	}
}
