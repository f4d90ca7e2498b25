package send

import (
	"fmt"
	"net/url"
	"time"

	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/unsubscribe"
)

// Config is the send function's configuration.
type Config struct {
	Table            string
	From             string // "Shop <hello@shop.example>", a verified SES identity
	ReplyTo          string
	ConfigurationSet string
	UnsubscribeURL   string              // https://…/unsubscribe, the unsubscribe function's route
	Signer           *unsubscribe.Signer // from UNSUBSCRIBE_SECRET
	Shop             mail.Shop
	ShopTimezone     string
	ShopLocation     *time.Location
	FrequencyCap     time.Duration
	QuietHours       QuietHours
	MessageTTL       time.Duration
}

// Defaults.
const (
	DefaultFrequencyCap = 16 * time.Hour
	DefaultMessageTTL   = 400 * 24 * time.Hour
)

// ConfigFromEnv reads the configuration with getenv (os.Getenv in main).
//
//	TABLE_NAME          the table (required)
//	FROM_ADDRESS        sender, e.g. "Shop <hello@shop.example>" (required)
//	UNSUBSCRIBE_URL     https URL of the unsubscribe route (required)
//	UNSUBSCRIBE_SECRET  base64 HMAC key(s), ≥ 32 bytes each, comma-separated, first signs (required)
//	SHOP_NAME           shown in emails (required)
//	SHOP_URL            the shop's home page
//	SHOP_TIMEZONE       IANA name, default UTC: quiet hours of profiles without one
//	REPLY_TO            optional reply-to address
//	CONFIGURATION_SET   SES configuration set (events for the feedback function)
//	FREQUENCY_CAP       Go duration, default 16h: at most one capped email per profile per window
//	QUIET_HOURS         HH:MM-HH:MM local time, default 21:00-08:00, or off
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Table: getenv("TABLE_NAME"), From: getenv("FROM_ADDRESS"), ReplyTo: getenv("REPLY_TO"),
		ConfigurationSet: getenv("CONFIGURATION_SET"), UnsubscribeURL: getenv("UNSUBSCRIBE_URL"),
		Shop:         mail.Shop{Name: getenv("SHOP_NAME"), URL: getenv("SHOP_URL")},
		ShopTimezone: getenv("SHOP_TIMEZONE"),
		FrequencyCap: DefaultFrequencyCap, QuietHours: DefaultQuietHours, MessageTTL: DefaultMessageTTL,
	}
	for _, req := range []struct{ name, v string }{
		{"TABLE_NAME", c.Table}, {"FROM_ADDRESS", c.From}, {"UNSUBSCRIBE_URL", c.UnsubscribeURL},
		{"UNSUBSCRIBE_SECRET", getenv("UNSUBSCRIBE_SECRET")}, {"SHOP_NAME", c.Shop.Name},
	} {
		if req.v == "" {
			return Config{}, fmt.Errorf("missing environment variable %s", req.name)
		}
	}
	if u, err := url.Parse(c.UnsubscribeURL); err != nil || u.Scheme != "https" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" || u.Host == "" {
		return Config{}, fmt.Errorf("UNSUBSCRIBE_URL %q: want an https URL", c.UnsubscribeURL)
	}
	keys, err := unsubscribe.ParseKeys(getenv("UNSUBSCRIBE_SECRET"))
	if err != nil {
		return Config{}, err
	}
	if c.Signer, err = unsubscribe.NewSigner(keys...); err != nil {
		return Config{}, err
	}
	if c.ShopTimezone == "" {
		c.ShopTimezone = "UTC"
	}
	if c.ShopLocation, err = time.LoadLocation(c.ShopTimezone); err != nil {
		return Config{}, fmt.Errorf("SHOP_TIMEZONE %q: %w", c.ShopTimezone, err)
	}
	if v := getenv("FREQUENCY_CAP"); v != "" {
		if c.FrequencyCap, err = time.ParseDuration(v); err != nil || c.FrequencyCap < 0 {
			return Config{}, fmt.Errorf("FREQUENCY_CAP %q: want a duration such as 16h", v)
		}
	}
	if v := getenv("QUIET_HOURS"); v != "" {
		if c.QuietHours, err = ParseQuietHours(v); err != nil {
			return Config{}, fmt.Errorf("QUIET_HOURS: %w", err)
		}
	}
	return c, nil
}
