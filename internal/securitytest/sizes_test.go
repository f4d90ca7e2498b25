package securitytest

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

const worstEmail = "worst@example.com"

// sizeEnv is the ingest handler over db (either backend), with the dev
// secrets.
func sizeEnv(t *testing.T, db *dynamodb.Client, table string) *env {
	t.Helper()
	now := func() time.Time { return fixtureTime }
	e := &env{db: db, table: table, store: profile.NewStore(db, table), logs: &logBuffer{}}
	e.store.Now = now
	e.log = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sh, _ := touchpoint.NewShopify(touchpoint.DevShopifySecret)
	wc, _ := touchpoint.NewWooCommerce(touchpoint.DevWooCommerceSecret)
	sd, _ := touchpoint.NewStandard(touchpoint.DevStandardSecret, now)
	e.ingest = ingest.New(e.store, emf.New(io.Discard, now), e.log, sh, wc, sd)
	return e
}

// lt is n characters that JSON encodes in 6 bytes each ("<").
func lt(n int) string { return strings.Repeat("<", n) }

// worstLines is 500 line items whose strings fill most of the 1 MiB body.
func worstLines(title, category string) []any {
	return repeatList(touchpoint.MaxLineItems, func(i int) any {
		return map[string]any{title: fmt.Sprintf("%03d", i) + lt(1580), category: fmt.Sprintf("c%03d", i) + lt(touchpoint.MaxTagChars-4),
			"quantity": 1, "price": "1.50", "product_id": 1000 + i}
	})
}

func worstTagList() []string {
	tags := make([]string, touchpoint.MaxTags)
	for i := range tags {
		tags[i] = fmt.Sprintf("%03d", i) + lt(touchpoint.MaxTagChars-3)
	}
	return tags
}

// edits applies several edits in order.
func edits(fs ...func(map[string]any)) func(map[string]any) {
	return func(doc map[string]any) {
		for _, f := range fs {
			f(doc)
		}
	}
}

// TestWorstCaseWebhooksStored: the largest webhook of each kind each
// source can send within ingest's limits (1 MiB, 500 line items with long
// titles and categories, 250 tags of 255 characters, long names; all in
// characters JSON encodes in 6 bytes) is answered 200 and stored, on
// minidyn and on dynalite (which refuses an item over 400 KB, as
// DynamoDB does) — all for one customer, whose items stay under every
// limit; then ordinary webhooks for the same customer are still stored.
func TestWorstCaseWebhooksStored(t *testing.T) {
	tags := strings.Join(worstTagList(), ", ")
	email := set("email", worstEmail)
	worst := []struct {
		name, fixture string
		edit          func(map[string]any)
	}{
		{"shopify checkout", "shopify/checkouts-create.json", edits(email, set("line_items", worstLines("title", "product_type")), set("customer.tags", tags), set("customer.email", worstEmail))},
		{"shopify order", "shopify/orders-create.json", edits(email, set("contact_email", worstEmail), set("line_items", worstLines("title", "product_type")), set("customer.tags", tags), set("customer.email", worstEmail))},
		{"shopify customer", "shopify/customers-update.json", edits(email, set("tags", tags), set("first_name", lt(touchpoint.MaxString)), set("last_name", lt(touchpoint.MaxString)))},
		{"woocommerce order", "woocommerce/order-created.json", edits(set("billing.email", worstEmail), set("line_items", worstLines("name", "sku")))},
		{"woocommerce customer", "woocommerce/customer-updated.json", edits(email, set("billing.email", worstEmail), set("first_name", lt(touchpoint.MaxString)), set("last_name", lt(touchpoint.MaxString)))},
		{"standard cart", "standard/cart-updated.json", edits(email, set("checkout.line_items", worstLines("title", "category")), set("customer.tags", worstTagList()))},
		{"standard order", "standard/order-placed.json", edits(email, set("order.line_items", worstLines("title", "category")), set("customer.tags", worstTagList()),
			set("properties", map[string]any{"note": lt(2500)}))},
	}
	later := []struct{ name, fixture string }{
		{"shopify order paid", "shopify/orders-paid.json"},
		{"woocommerce order processing", "woocommerce/order-updated-processing.json"},
		{"standard consent", "standard/consent-changed.json"},
	}
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		e := sizeEnv(t, db, table)
		for _, w := range worst {
			req := resigned(t, w.fixture, w.edit)
			if len(req.Body) > ingest.DefaultMaxBody {
				t.Fatalf("%s: body of %d bytes, over the limit", w.name, len(req.Body))
			}
			if status, body := e.post(t, req); status != 200 || body != `{"status":"stored"}` {
				t.Fatalf("%s (%d bytes): %d %s", w.name, len(req.Body), status, body)
			}
			checkItems(t, ddbtest.Scan(t, db, table), w.name)
		}
		v, err := e.store.GetView(t.Context(), worstEmail)
		if err != nil {
			t.Fatal(err)
		}
		if v.TagsOmitted == 0 || v.LastCheckout == nil || v.LastCheckout.LineItemsOmitted == 0 || v.OrderCount == 0 {
			t.Fatalf("view: tags_omitted %d, last checkout %+v, orders %d", v.TagsOmitted, v.LastCheckout, v.OrderCount)
		}
		for _, l := range later {
			req := resigned(t, l.fixture, func(doc map[string]any) {
				doc["email"] = worstEmail
				if b, ok := doc["billing"].(map[string]any); ok {
					b["email"] = worstEmail
				}
			})
			if status, body := e.post(t, req); status != 200 || body != `{"status":"stored"}` {
				t.Fatalf("later %s: %d %s", l.name, status, body)
			}
		}
		if after, err := e.store.GetView(t.Context(), worstEmail); err != nil || !after.UpdatedAt.Equal(fixtureTime) || after.Consent == nil {
			t.Fatalf("after the later webhooks: %+v, %v", after.Consent, err)
		}
		checkItems(t, ddbtest.Scan(t, db, table), "later webhooks")
	})
}

// checkItems asserts every item is under DynamoDB's 400 KB with a third
// to spare, and the profile view within its budget.
func checkItems(t *testing.T, items []map[string]types.AttributeValue, after string) {
	t.Helper()
	for _, item := range items {
		n := 0
		for k, v := range item {
			n += len(k)
			switch v := v.(type) {
			case *types.AttributeValueMemberS:
				n += len(v.Value)
			case *types.AttributeValueMemberN:
				n += len(v.Value)
			}
		}
		sk, _ := item[profile.AttrSK].(*types.AttributeValueMemberS)
		if n > 400*1024*2/3 {
			t.Errorf("after %s: %s item of %d bytes", after, sk.Value, n)
		}
		if view, ok := item[profile.AttrView].(*types.AttributeValueMemberS); ok && sk.Value == profile.SKProfile && len(view.Value) > profile.MaxViewBytes {
			t.Errorf("after %s: view of %d bytes", after, len(view.Value))
		}
	}
}
