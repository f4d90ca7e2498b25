package touchpoint

// Development signing secrets. `make dev` uses them (and prints them) when
// SHOPIFY_WEBHOOK_SECRET, WOOCOMMERCE_WEBHOOK_SECRET or
// STANDARD_WEBHOOK_SECRET is unset, and the fixtures in events/ are signed
// with them. They are public: never use them for a real shop.
const (
	DevShopifySecret     = "parcours-dev-shopify-secret"
	DevWooCommerceSecret = "parcours-dev-woocommerce-secret"
	// DevStandardSecret is "whsec_" + base64("parcours-dev-standard-secret").
	DevStandardSecret = "whsec_cGFyY291cnMtZGV2LXN0YW5kYXJkLXNlY3JldA=="
)
