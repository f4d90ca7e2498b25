package securitytest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/unsubscribe"
)

// opCounter counts DynamoDB operations by X-Amz-Target.
type opCounter struct {
	next http.RoundTripper
	mu   sync.Mutex
	ops  map[string]int
}

func (c *opCounter) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.ops[strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *opCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.ops
	c.ops = map[string]int{}
	return out
}

// TestTokens: every way an unsubscribe token can be wrong is refused by
// GET and POST alike with one page and changes nothing; a token of a
// rotated-out key is refused, one of a key still in the list is
// accepted; a known and an unknown address get the same answer and cause
// the same DynamoDB calls (the same timing class: one read, one write).
func TestTokens(t *testing.T) {
	e := newEnv(t, touchpoint.DevShopifySecret)
	if status, _ := e.post(t, fixture(t, "shopify/customers-create.json")); status != 200 {
		t.Fatal("seed")
	}
	newKey, oldKey, foreign := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	rotating, _ := unsubscribe.NewSigner(newKey, oldKey) // signs with new, verifies both
	retired, _ := unsubscribe.NewSigner(oldKey)          // signed links before the rotation
	forger, _ := unsubscribe.NewSigner(foreign)
	counter := &opCounter{next: http.DefaultTransport, ops: map[string]int{}}
	opts := e.db.Options()
	opts.HTTPClient = counter
	store := profile.NewStore(dynamodb.New(opts), e.table)
	store.Now = func() time.Time { return fixtureTime }
	h := func(s *unsubscribe.Signer) *unsubscribe.Handler {
		return &unsubscribe.Handler{Signer: s, Profiles: store, Shop: "Maison Lin", Log: e.log, Now: func() time.Time { return fixtureTime }}
	}
	call := func(hd *unsubscribe.Handler, method, token string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		resp, err := hd.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
			RequestContext:        events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method}},
			QueryStringParameters: map[string]string{"t": token}, Body: "List-Unsubscribe=One-Click",
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	const known, unknown = "carol@example.com", "nobody.here@example.com"
	at := fixtureTime.Add(-time.Hour)
	good := rotating.Sign(known, at)
	p := strings.Split(good, ".")
	o := strings.Split(rotating.Sign(unknown, at), ".")

	t.Run("refused", func(t *testing.T) {
		// Only rotating.Sign(newKey) and oldKey tokens are valid; afterRotation
		// is a handler whose list no longer has the old key.
		afterRotation := h(func() *unsubscribe.Signer { s, _ := unsubscribe.NewSigner(newKey); return s }())
		cases := []struct {
			name  string
			h     *unsubscribe.Handler
			token string
		}{
			{"tampered address", h(rotating), strings.Join([]string{p[0], p[1], o[2], p[3]}, ".")},
			{"swapped MAC (another profile's)", h(rotating), strings.Join([]string{p[0], p[1], p[2], o[3]}, ".")},
			{"tampered time", h(rotating), strings.Join([]string{p[0], "zz", p[2], p[3]}, ".")},
			{"other version", h(rotating), "2" + good[1:]},
			{"extra segment", h(rotating), strings.Join([]string{p[0], p[1], p[2], "x", p[3]}, ".")},
			{"forged with a foreign key", h(rotating), forger.Sign(known, at)},
			{"key rotated out", afterRotation, retired.Sign(known, at)},
			{"truncated", h(rotating), good[:len(good)-3]},
			{"MAC only", h(rotating), p[3]},
			{"empty", h(rotating), ""},
		}
		before := ddbtest.Scan(t, e.db, e.table)
		first := map[string]string{}
		for _, c := range cases {
			for _, m := range []string{"GET", "POST"} {
				resp := call(c.h, m, c.token)
				b, _ := json.Marshal(resp)
				if resp.StatusCode != 400 || !strings.Contains(resp.Body, unsubscribe.TextBadLink) || strings.Contains(resp.Body, "<form") {
					t.Errorf("%s %s: %d %s", m, c.name, resp.StatusCode, resp.Body)
				}
				if first[m] == "" {
					first[m] = string(b)
				} else if string(b) != first[m] {
					t.Errorf("%s %s answers differently from the other refusals:\n%s\n%s", m, c.name, b, first[m])
				}
			}
		}
		if first["GET"] != first["POST"] {
			t.Errorf("GET and POST refuse differently:\n%s\n%s", first["GET"], first["POST"])
		}
		if after := ddbtest.Scan(t, e.db, e.table); !reflect.DeepEqual(before, after) {
			t.Fatal("a refused token changed the table")
		}
		if ops := counter.take(); len(ops) != 0 {
			t.Errorf("refused tokens reached DynamoDB: %v", ops)
		}
	})

	t.Run("rotation window", func(t *testing.T) {
		if resp := call(h(rotating), "GET", retired.Sign(known, at)); resp.StatusCode != 200 || !strings.Contains(resp.Body, unsubscribe.TextConfirm) {
			t.Fatalf("a link signed with the previous key during rotation: %d %s", resp.StatusCode, resp.Body)
		}
	})

	t.Run("known and unknown alike", func(t *testing.T) {
		counter.take()
		for _, m := range []string{"GET", "POST"} {
			a := call(h(rotating), m, rotating.Sign(known, at))
			aOps := counter.take()
			b := call(h(rotating), m, rotating.Sign(unknown, at))
			bOps := counter.take()
			ab, _ := json.Marshal(a)
			bb, _ := json.Marshal(b)
			// The page's form action holds the token, which differs.
			as := strings.ReplaceAll(string(ab), escapedToken(rotating.Sign(known, at)), "TOKEN")
			bs := strings.ReplaceAll(string(bb), escapedToken(rotating.Sign(unknown, at)), "TOKEN")
			if a.StatusCode != 200 || as != bs {
				t.Errorf("%s: known and unknown differ:\n%s\n%s", m, as, bs)
			}
			if !reflect.DeepEqual(aOps, bOps) {
				t.Errorf("%s: DynamoDB calls differ: known %v, unknown %v", m, aOps, bOps)
			}
			t.Logf("%s DynamoDB calls: %v", m, aOps)
		}
	})
}
