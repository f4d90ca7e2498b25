package ingest

import (
	"fmt"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// Config is the ingest function's environment. Each secret may hold two
// comma-separated secrets during a rotation.
type Config struct {
	TableName         string // TABLE_NAME
	ShopifySecret     string // SHOPIFY_WEBHOOK_SECRET
	WooCommerceSecret string // WOOCOMMERCE_WEBHOOK_SECRET
	StandardSecret    string // STANDARD_WEBHOOK_SECRET (whsec_…)
}

// ConfigFromEnv reads the configuration with lookup (os.LookupEnv). A
// missing or empty variable is an error naming it.
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"TABLE_NAME", &c.TableName},
		{"SHOPIFY_WEBHOOK_SECRET", &c.ShopifySecret},
		{"WOOCOMMERCE_WEBHOOK_SECRET", &c.WooCommerceSecret},
		{"STANDARD_WEBHOOK_SECRET", &c.StandardSecret},
	} {
		val, ok := lookup(v.name)
		if !ok || val == "" {
			return Config{}, fmt.Errorf("environment variable %s is not set", v.name)
		}
		*v.dst = val
	}
	return c, nil
}

// Sources builds the three webhook sources from the secrets.
func (c Config) Sources(now func() time.Time) ([]touchpoint.Source, error) {
	shopify, err := touchpoint.NewShopify(c.ShopifySecret)
	if err != nil {
		return nil, fmt.Errorf("SHOPIFY_WEBHOOK_SECRET: %w", err)
	}
	woo, err := touchpoint.NewWooCommerce(c.WooCommerceSecret)
	if err != nil {
		return nil, fmt.Errorf("WOOCOMMERCE_WEBHOOK_SECRET: %w", err)
	}
	std, err := touchpoint.NewStandard(c.StandardSecret, now)
	if err != nil {
		return nil, fmt.Errorf("STANDARD_WEBHOOK_SECRET: %w", err)
	}
	return []touchpoint.Source{shopify, woo, std}, nil
}
