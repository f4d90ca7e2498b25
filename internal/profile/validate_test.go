package profile

import (
	"testing"

	"github.com/parcours/parcours/internal/touchpoint"
)

func TestValidate(t *testing.T) {
	order := func(total, refunded string) touchpoint.Event {
		return touchpoint.Event{ID: "e1", Order: &touchpoint.Order{ID: "o1", Total: total, Refunded: refunded}}
	}
	tests := []struct {
		name string
		ev   touchpoint.Event
		want string // "" when valid
	}{
		{"no order", touchpoint.Event{ID: "e1"}, ""},
		{"valid amounts", order("101.00", "18.5"), ""},
		{"empty amounts", order("", ""), ""},
		{"no id", touchpoint.Event{}, "id: event has no id"},
		{"bad total", order("1e3", ""), "order.total: not a decimal amount"},
		{"bad refunded", order("10.00", "1.2345678"), "order.refunded: not a decimal amount"},
		// Both wrong: always the total, never one or the other at random.
		{"both bad", order("x", "y"), "order.total: not a decimal amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 {
				err := Validate(tt.ev)
				switch {
				case tt.want == "" && err != nil:
					t.Fatalf("Validate = %v, want nil", err)
				case tt.want != "" && (err == nil || err.Error() != tt.want):
					t.Fatalf("Validate = %v, want %q", err, tt.want)
				}
			}
		})
	}
}
