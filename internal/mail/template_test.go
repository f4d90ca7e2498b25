package mail

import "testing"

func TestMoney(t *testing.T) {
	for _, c := range []struct{ amount, cur, want string }{
		{"129.9", "EUR", "€129.90"}, {"5", "USD", "$5.00"}, {"1200", "JPY", "¥1200"}, {"10.5", "CHF", "10.50 CHF"}, {"n/a", "EUR", "n/a EUR"},
	} {
		t.Run(c.amount+c.cur, func(t *testing.T) {
			if got := money(c.amount, c.cur); got != c.want {
				t.Errorf("money(%q, %q) = %q, want %q", c.amount, c.cur, got, c.want)
			}
		})
	}
}
