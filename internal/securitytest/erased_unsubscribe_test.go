package securitytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/unsubscribe"
)

// dumpItems renders items as JSON lines, for "contains" checks.
func dumpItems(t *testing.T, items []map[string]types.AttributeValue) string {
	t.Helper()
	var b strings.Builder
	for _, it := range items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(m)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// newItems are the items of after that are not in before.
func newItems(before, after []map[string]types.AttributeValue) []map[string]types.AttributeValue {
	var out []map[string]types.AttributeValue
	for _, a := range after {
		found := false
		for _, b := range before {
			if reflect.DeepEqual(a, b) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// TestUnsubscribeAfterErasure: a customer erased by customers/redact who
// then clicks the unsubscribe link of an old email is unsubscribed (the
// page says so, GET and POST alike) without being stored again: the only
// new item is the opt-out marker, which holds no address, name, phone or
// log hash. A later order from the address creates a new profile that is
// unsubscribed; consent from before the click (a platform's stale state)
// does not subscribe it, consent given after the click does.
func TestUnsubscribeAfterErasure(t *testing.T) {
	const carol = "carol@example.com"
	ctx := context.Background()
	e := newEnv(t, touchpoint.DevShopifySecret)
	signer, err := unsubscribe.NewSigner(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := fixtureTime
	unsub := &unsubscribe.Handler{Signer: signer, Profiles: e.store, Shop: "Maison Lin", Log: e.log, Now: func() time.Time { return now }}
	click := func(method string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		resp, err := unsub.Handle(ctx, events.APIGatewayV2HTTPRequest{
			RequestContext:        events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method}},
			QueryStringParameters: map[string]string{"t": signer.Sign(carol, fixtureTime.Add(-72*time.Hour))}, Body: "List-Unsubscribe=One-Click",
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	mustPost := func(req events.APIGatewayV2HTTPRequest, want string) {
		t.Helper()
		if status, body := e.post(t, req); status != 200 || body != want {
			t.Fatalf("%s: %d %s, want 200 %s", req.Headers["x-shopify-topic"], status, body, want)
		}
	}
	consentUpdate := func(id string, at time.Time) events.APIGatewayV2HTTPRequest {
		r := resigned(t, "shopify/customers-update.json", func(doc map[string]any) {
			doc["updated_at"] = at.Format(time.RFC3339)
			doc["email_marketing_consent"] = map[string]any{"state": "subscribed", "opt_in_level": "confirmed_opt_in", "consent_updated_at": at.Format(time.RFC3339)}
		})
		r.Headers["x-shopify-event-id"] = id
		return r
	}

	mustPost(fixture(t, "shopify/customers-create.json"), `{"status":"stored"}`)
	mustPost(fixture(t, "shopify/customers-update.json"), `{"status":"stored"}`)
	mustPost(fixture(t, "shopify/customers-redact.json"), `{"status":"erased"}`)
	erased := ddbtest.Scan(t, e.db, e.table)

	// GET: the confirmation page, nothing written.
	if resp := click("GET"); resp.StatusCode != 200 || !strings.Contains(resp.Body, unsubscribe.TextConfirm) {
		t.Fatalf("GET after erasure: %d %s", resp.StatusCode, resp.Body)
	}
	if !reflect.DeepEqual(erased, ddbtest.Scan(t, e.db, e.table)) {
		t.Fatal("GET after erasure changed the table")
	}

	// POST (twice: the second click changes nothing more): unsubscribed,
	// no profile, only the marker.
	for i := range 2 {
		now = fixtureTime.Add(time.Duration(i) * time.Minute)
		if resp := click("POST"); resp.StatusCode != 200 || !strings.Contains(resp.Body, unsubscribe.TextDone) {
			t.Fatalf("POST %d after erasure: %d %s", i+1, resp.StatusCode, resp.Body)
		}
	}
	now = fixtureTime
	after := ddbtest.Scan(t, e.db, e.table)
	added := newItems(erased, after)
	if len(added) != 1 || len(after) != len(erased)+1 {
		t.Fatalf("the clicks added %d items (table %d → %d), want only the opt-out marker:\n%s", len(added), len(erased), len(after), dumpItems(t, added))
	}
	var marker map[string]string
	if err := attributevalue.UnmarshalMap(added[0], &marker); err != nil {
		t.Fatal(err)
	}
	wantMarker := map[string]string{"pk": profile.OptOutPK(carol), "sk": profile.SKOptOut, "unsubscribed_at": fixtureTime.Add(time.Minute).Format(time.RFC3339Nano)}
	if !reflect.DeepEqual(marker, wantMarker) {
		t.Fatalf("marker = %v, want %v", marker, wantMarker)
	}
	dump := strings.ToLower(dumpItems(t, after))
	for _, s := range []string{"carol", "nguyen", "+33698765432", "33698765432", profile.AddressHash(carol)} {
		if strings.Contains(dump, s) {
			t.Errorf("after erasure and the clicks the table holds %q:\n%s", s, dump)
		}
	}
	if _, err := e.store.GetView(ctx, carol); !errors.Is(err, profile.ErrNotFound) {
		t.Fatalf("profile after the clicks: %v, want not found", err)
	}
	// An export shows the marker; a saved export (customers/data_request)
	// is not written for it, since that would store the address again.
	x, found, err := e.eraser.Export(ctx, carol)
	if err != nil || found || x.UnsubscribedAt == nil || !x.UnsubscribedAt.Equal(fixtureTime.Add(time.Minute)) {
		t.Fatalf("export after the clicks: found=%v unsubscribed_at=%v err=%v", found, x.UnsubscribedAt, err)
	}

	// A later order creates a new profile, unsubscribed since the click.
	order := resigned(t, "shopify/orders-create.json", func(doc map[string]any) {
		doc["id"], doc["email"], doc["contact_email"] = 5981234599999, carol, carol
		delete(doc, "customer")
	})
	order.Headers["x-shopify-event-id"] = "later-order"
	mustPost(order, `{"status":"stored"}`)
	v, err := e.store.GetView(ctx, carol)
	if err != nil {
		t.Fatal(err)
	}
	if v.Subscribed || v.Consent == nil || v.Consent.State != touchpoint.ConsentUnsubscribed || !v.Consent.UpdatedAt.Equal(fixtureTime.Add(time.Minute)) {
		t.Fatalf("later order's profile: subscribed=%v consent=%+v, want unsubscribed at the click", v.Subscribed, v.Consent)
	}

	// The platform's consent from before the click does not subscribe it.
	mustPost(consentUpdate("stale-consent", fixtureTime.Add(-24*time.Hour)), `{"status":"stored"}`)
	if v, _ := e.store.GetView(ctx, carol); v.Subscribed || v.Consent.State != touchpoint.ConsentUnsubscribed {
		t.Fatalf("consent from before the click subscribed the profile: %+v", v.Consent)
	}
	// Consent given after the click does.
	mustPost(consentUpdate("fresh-consent", fixtureTime.Add(time.Hour)), `{"status":"stored"}`)
	if v, _ := e.store.GetView(ctx, carol); !v.Subscribed || v.Consent.State != touchpoint.ConsentSubscribed {
		t.Fatalf("consent given after the click: subscribed=%v %+v", v.Subscribed, v.Consent)
	}

	// Erasing the new profile leaves the marker: "never email me" stays.
	mustPost(fixture(t, "shopify/customers-redact.json"), `{"status":"erased"}`)
	final := dumpItems(t, ddbtest.Scan(t, e.db, e.table))
	if !strings.Contains(final, profile.OptOutPK(carol)) || strings.Contains(strings.ToLower(final), "carol") {
		t.Fatalf("after the second erasure:\n%s", final)
	}
}
