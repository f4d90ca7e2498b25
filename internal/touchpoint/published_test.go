package touchpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// publishedDir holds the sample payloads Shopify itself published (older API
// versions, with accepts_marketing). CI clones the repository with shared/
// beside it.
const publishedDir = "../../../shared/fixtures/shopify"

// TestShopifyPublished signs Shopify's own sample payloads (named after
// their topic: checkouts-create.json is checkouts/create) and decodes them.
func TestShopifyPublished(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(publishedDir, "*.json"))
	if err != nil || len(files) == 0 {
		abs, _ := filepath.Abs(publishedDir)
		t.Fatalf("Shopify's published sample payloads are missing: expected *.json in %s (shared/fixtures/shopify beside the repository clone)", abs)
	}
	sh := devSources(t)["shopify"]
	for _, p := range files {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			topic := strings.Replace(name, "-", "/", 1)
			r := Request{
				Headers: hdrs(
					"x-shopify-topic", topic,
					"x-shopify-shop-domain", "johns-apparel.myshopify.com",
					"x-shopify-webhook-id", "published-"+name, // no X-Shopify-Event-Id: older API versions
					"x-shopify-hmac-sha256", SignHMAC(DevShopifySecret, body),
				),
				Body: body,
			}
			if err := sh.Verify(r); err != nil {
				t.Fatalf("verify: %v", err)
			}
			checkGolden(t, "shopify-published/"+name, decodeOutcome(t, sh, r))
		})
	}
}

// TestShopifyPublishedIDs pins the 64-bit ids of the published payloads.
func TestShopifyPublishedIDs(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(publishedDir, "orders-create.json"))
	if err != nil {
		t.Fatalf("Shopify's published sample payloads are missing: %v", err)
	}
	sh := devSources(t)["shopify"]
	evs, err := sh.Decode(Request{Headers: shopifyHeaders("orders/create"), Body: body})
	if err != nil {
		t.Fatal(err)
	}
	ev := evs[0]
	if ev.Order.ID != "450789469" || ev.Order.CheckoutID != "450789469" || ev.CustomerID != "207119551" || ev.Order.LineItems[2].VariantID != "457924702" {
		t.Fatalf("ids changed: order %q checkout %q customer %q variant %q", ev.Order.ID, ev.Order.CheckoutID, ev.CustomerID, ev.Order.LineItems[2].VariantID)
	}
	if ev.Email != "bob.norman@hostmail.com" || ev.Order.Total != "409.94" || ev.Order.Number != "#1001" {
		t.Fatalf("email %q total %q number %q", ev.Email, ev.Order.Total, ev.Order.Number)
	}
}
