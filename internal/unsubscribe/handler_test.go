package unsubscribe_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/unsubscribe"
)

type env struct {
	h     *unsubscribe.Handler
	store *profile.Store
	now   time.Time
}

func newEnv(t *testing.T) (*env, func() any) {
	t.Helper()
	db, table := ddbtest.New(t)
	e := &env{store: profile.NewStore(db, table), now: time.Date(2026, 3, 12, 9, 30, 0, 0, time.UTC)}
	e.h = &unsubscribe.Handler{Signer: signer(t, key), Profiles: e.store, Shop: "Maison Lin",
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: func() time.Time { return e.now }}
	ev := touchpoint.Event{ID: "seed", Source: "standard", Type: touchpoint.CustomerCreated, OccurredAt: e.now.Add(-48 * time.Hour),
		Email: "ana@example.com", Consent: &touchpoint.Consent{State: "subscribed", UpdatedAt: e.now.Add(-48 * time.Hour)}}
	if _, err := e.store.Apply(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	snapshot := func() any { return ddbtest.Scan(t, db, table) }
	return e, snapshot
}

func request(method, token, body string, b64 bool) events.APIGatewayV2HTTPRequest {
	r := events.APIGatewayV2HTTPRequest{RawPath: "/unsubscribe", Body: body, IsBase64Encoded: b64,
		QueryStringParameters: map[string]string{}}
	if token != "" {
		r.QueryStringParameters["t"] = token
		r.RawQueryString = "t=" + url.QueryEscape(token)
	}
	r.RequestContext.HTTP.Method = method
	return r
}

func (e *env) do(t *testing.T, r events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := e.h.Handle(context.Background(), r)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if resp.Headers["Content-Type"] != "text/html; charset=utf-8" || resp.Headers["Cache-Control"] != "no-store" {
		t.Errorf("headers = %v", resp.Headers)
	}
	return resp
}

func (e *env) consent(t *testing.T) *touchpoint.Consent {
	t.Helper()
	v, err := e.store.GetView(context.Background(), "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return v.Consent
}

func TestGetShowsConfirmation(t *testing.T) {
	e, snap := newEnv(t)
	tok := e.h.Signer.Sign("ana@example.com", issued)
	before := snap()
	resp := e.do(t, request("GET", tok, "", false))
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, unsubscribe.TextConfirm) ||
		!strings.Contains(resp.Body, `<form method="post" action="?t=`+url.QueryEscape(tok)+`">`) ||
		!strings.Contains(resp.Body, `name="List-Unsubscribe" value="One-Click"`) || !strings.Contains(resp.Body, "Maison Lin") {
		t.Errorf("GET = %d %s", resp.StatusCode, resp.Body)
	}
	if !reflect.DeepEqual(before, snap()) {
		t.Error("GET changed the table (link scanners must not unsubscribe)")
	}
}

func TestOneClickPost(t *testing.T) {
	tests := []struct {
		name string
		body string
		b64  bool
	}{
		{"RFC 8058 body", "List-Unsubscribe=One-Click", false},
		{"base64 body from API Gateway", base64.StdEncoding.EncodeToString([]byte("List-Unsubscribe=One-Click")), true},
		{"button with trailing newline", "List-Unsubscribe=One-Click\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEnv(t)
			tok := e.h.Signer.Sign("ana@example.com", issued)
			resp := e.do(t, request("POST", tok, tt.body, tt.b64))
			if resp.StatusCode != 200 || !strings.Contains(resp.Body, unsubscribe.TextDone) {
				t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
			}
			c := e.consent(t)
			if c == nil || c.State != touchpoint.ConsentUnsubscribed || !c.UpdatedAt.Equal(e.now) {
				t.Fatalf("consent = %+v", c)
			}
			// Idempotent: a second POST later answers 200 and keeps the first time.
			e.now = e.now.Add(time.Hour)
			if resp := e.do(t, request("POST", tok, tt.body, tt.b64)); resp.StatusCode != 200 || !strings.Contains(resp.Body, unsubscribe.TextDone) {
				t.Errorf("second POST = %d", resp.StatusCode)
			}
			if c2 := e.consent(t); !c2.UpdatedAt.Equal(c.UpdatedAt) {
				t.Errorf("second POST moved the timestamp: %v → %v", c.UpdatedAt, c2.UpdatedAt)
			}
		})
	}
}

func TestRejectedRequestsChangeNothing(t *testing.T) {
	e, snap := newEnv(t)
	good := e.h.Signer.Sign("ana@example.com", issued)
	tests := []struct {
		name   string
		req    events.APIGatewayV2HTTPRequest
		status int
		text   string
	}{
		{"no token", request("POST", "", "List-Unsubscribe=One-Click", false), 400, unsubscribe.TextBadLink},
		{"tampered token", request("POST", good[:len(good)-3]+"AAA", "List-Unsubscribe=One-Click", false), 400, unsubscribe.TextBadLink},
		{"forged token", request("POST", signer(t, oldKey).Sign("ana@example.com", issued), "List-Unsubscribe=One-Click", false), 400, unsubscribe.TextBadLink},
		{"tampered GET", request("GET", "1.x.YQ.bad", "", false), 400, unsubscribe.TextBadLink},
		{"POST without one-click body", request("POST", good, "", false), 400, unsubscribe.TextBadPost},
		{"POST with another body", request("POST", good, "List-Unsubscribe=Maybe", false), 400, unsubscribe.TextBadPost},
		{"bad base64", request("POST", good, "%%%", true), 400, unsubscribe.TextBadPost},
		{"DELETE", request("DELETE", good, "", false), 405, unsubscribe.TextNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snap()
			resp := e.do(t, tt.req)
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.text) {
				t.Errorf("= %d %q, want %d %q", resp.StatusCode, resp.Body, tt.status, tt.text)
			}
			if strings.Contains(resp.Body, "ana@example.com") || strings.Contains(resp.Body, "<form") {
				t.Errorf("page leaks the address or offers the form: %s", resp.Body)
			}
			if !reflect.DeepEqual(before, snap()) {
				t.Error("a rejected request changed the table")
			}
		})
	}
	if c := e.consent(t); c.State != touchpoint.ConsentSubscribed {
		t.Errorf("consent = %+v", c)
	}
}

func TestStorageFailureIs500(t *testing.T) {
	em := ddbtest.Start(t)
	table := em.NewTable(t)
	store := profile.NewStore(em.Client, table)
	store.MaxAttempts = 1
	h := &unsubscribe.Handler{Signer: signer(t, key), Profiles: store, Shop: "S",
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: time.Now}
	em.Close()
	resp, err := h.Handle(context.Background(), request("POST", h.Signer.Sign("a@b.c", issued), "List-Unsubscribe=One-Click", false))
	if err != nil || resp.StatusCode != 500 || !strings.Contains(resp.Body, unsubscribe.TextFailed) {
		t.Errorf("= %d %q %v", resp.StatusCode, resp.Body, err)
	}
}

// TestPostWithoutProfile: a valid link of an address that has no profile
// (erased, or never stored) answers exactly as for a known one and writes
// only the opt-out marker: no profile is created.
func TestPostWithoutProfile(t *testing.T) {
	e, snap := newEnv(t)
	before := snap().([]map[string]types.AttributeValue)
	known := e.do(t, request("POST", e.h.Signer.Sign("ana@example.com", issued), "List-Unsubscribe=One-Click", false))
	withKnown := snap().([]map[string]types.AttributeValue)
	unknown := e.do(t, request("POST", e.h.Signer.Sign("Gone@Example.com", issued), "List-Unsubscribe=One-Click", false))
	if unknown.StatusCode != 200 || !strings.Contains(unknown.Body, unsubscribe.TextDone) || !reflect.DeepEqual(known, unknown) {
		t.Fatalf("unknown address: %d %s; known: %d %s", unknown.StatusCode, unknown.Body, known.StatusCode, known.Body)
	}
	after := snap().([]map[string]types.AttributeValue)
	if len(after) != len(withKnown)+1 || len(withKnown) != len(before)+1 {
		t.Fatalf("items %d → %d (known click) → %d (unknown click), want one marker each", len(before), len(withKnown), len(after))
	}
	if _, err := e.store.GetView(context.Background(), "gone@example.com"); !errors.Is(err, profile.ErrNotFound) {
		t.Fatalf("a profile was created for the unknown address: %v", err)
	}
	for _, it := range after {
		pk := it["pk"].(*types.AttributeValueMemberS).Value
		if pk == profile.OptOutPK("gone@example.com") {
			if len(it) != 3 || it["unsubscribed_at"].(*types.AttributeValueMemberS).Value != e.now.Format(time.RFC3339Nano) {
				t.Fatalf("marker = %v", it)
			}
			return
		}
	}
	t.Fatal("no opt-out marker for the unknown address")
}
