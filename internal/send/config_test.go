package send_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/send"
)

func getenv(over map[string]string) func(string) string {
	base := map[string]string{
		"TABLE_NAME": "parcours", "FROM_ADDRESS": "Shop <hello@shop.example>", "UNSUBSCRIBE_URL": "https://shop.example/unsubscribe",
		"UNSUBSCRIBE_SECRET": base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))), "SHOP_NAME": "Shop",
	}
	for k, v := range over {
		base[k] = v
	}
	return func(k string) string { return base[k] }
}

func TestConfigFromEnv(t *testing.T) {
	c, err := send.ConfigFromEnv(getenv(map[string]string{"SHOP_TIMEZONE": "Europe/Paris", "FREQUENCY_CAP": "24h", "QUIET_HOURS": "22:30-07:15"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.FrequencyCap != 24*time.Hour || c.QuietHours != (send.QuietHours{Start: 22*60 + 30, End: 7*60 + 15}) ||
		c.ShopLocation.String() != "Europe/Paris" || c.Signer == nil {
		t.Errorf("config = %+v", c)
	}
	d, err := send.ConfigFromEnv(getenv(nil))
	if err != nil || d.FrequencyCap != 16*time.Hour || d.QuietHours != send.DefaultQuietHours || d.ShopLocation != time.UTC {
		t.Errorf("defaults = %+v %v", d, err)
	}
	tests := map[string]struct {
		over map[string]string
		want string
	}{
		"no table":           {map[string]string{"TABLE_NAME": ""}, "missing environment variable TABLE_NAME"},
		"no from":            {map[string]string{"FROM_ADDRESS": ""}, "missing environment variable FROM_ADDRESS"},
		"no secret":          {map[string]string{"UNSUBSCRIBE_SECRET": ""}, "missing environment variable UNSUBSCRIBE_SECRET"},
		"no shop":            {map[string]string{"SHOP_NAME": ""}, "missing environment variable SHOP_NAME"},
		"http url":           {map[string]string{"UNSUBSCRIBE_URL": "http://shop.example/u"}, `UNSUBSCRIBE_URL "http://shop.example/u": want an https URL`},
		"short secret":       {map[string]string{"UNSUBSCRIBE_SECRET": "c2hvcnQ="}, "UNSUBSCRIBE_SECRET key 0 is shorter than 32 bytes"},
		"bad zone":           {map[string]string{"SHOP_TIMEZONE": "Mars/Olympus"}, `SHOP_TIMEZONE "Mars/Olympus": unknown time zone Mars/Olympus`},
		"bad cap":            {map[string]string{"FREQUENCY_CAP": "often"}, `FREQUENCY_CAP "often": want a duration such as 16h`},
		"bad quiet":          {map[string]string{"QUIET_HOURS": "9pm-8am"}, `QUIET_HOURS: quiet hours "9pm-8am": want HH:MM-HH:MM, e.g. 21:00-08:00, or off`},
		"quiet out of range": {map[string]string{"QUIET_HOURS": "25:00-08:00"}, `QUIET_HOURS: quiet hours "25:00-08:00": want HH:MM-HH:MM, e.g. 21:00-08:00, or off`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := send.ConfigFromEnv(getenv(tt.over)); err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestQuietHoursNextAllowed(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	q := send.DefaultQuietHours
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"afternoon", time.Date(2026, 3, 7, 15, 0, 0, 0, ny), time.Date(2026, 3, 7, 15, 0, 0, 0, ny)},
		{"21:00 starts the window", time.Date(2026, 3, 7, 21, 0, 0, 0, ny), time.Date(2026, 3, 8, 8, 0, 0, 0, ny)},
		{"after midnight", time.Date(2026, 3, 7, 2, 0, 0, 0, ny), time.Date(2026, 3, 7, 8, 0, 0, 0, ny)},
		{"08:00 ends it", time.Date(2026, 3, 7, 8, 0, 0, 0, ny), time.Date(2026, 3, 7, 8, 0, 0, 0, ny)},
		// Clocks spring forward on 2026-03-08: the night is an hour shorter,
		// 08:00 local is 12:00 UTC instead of 13:00.
		{"across the DST change", time.Date(2026, 3, 7, 23, 0, 0, 0, ny), time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := q.NextAllowed(tt.now, ny); !got.Equal(tt.want) {
				t.Errorf("NextAllowed(%v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
	day := send.QuietHours{Start: 12 * 60, End: 14 * 60} // a window that does not wrap
	if got := day.NextAllowed(time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC), time.UTC); !got.Equal(time.Date(2026, 1, 1, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("midday window: %v", got)
	}
	if now := time.Date(2026, 1, 1, 23, 0, 0, 0, time.UTC); !(send.QuietHours{}).NextAllowed(now, time.UTC).Equal(now) {
		t.Error("off still defers")
	}
}
