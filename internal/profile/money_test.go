package profile

import "testing"

func TestAmount(t *testing.T) {
	tests := []struct {
		in, cur, want string
	}{
		{"129.90", "EUR", "129.90"},
		{"129.9", "EUR", "129.90"},
		{"1000", "JPY", "1000"},
		{"0.125", "EUR", "0.125"},
		{"1.5", "KWD", "1.500"},
		{"-3.10", "USD", "-3.10"},
		{"", "USD", "0.00"},
		{"123456789012.345678", "USD", "123456789012.345678"},
	}
	for _, tt := range tests {
		t.Run(tt.in+"/"+tt.cur, func(t *testing.T) {
			a, err := ParseAmount(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Format(tt.cur); got != tt.want {
				t.Fatalf("Format = %q, want %q", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"1.2345678", "abc", "1e3", "1,50", ".", "-", "99999999999999999999"} {
		t.Run("bad/"+bad, func(t *testing.T) {
			if _, err := ParseAmount(bad); err == nil {
				t.Fatalf("ParseAmount(%q) succeeded", bad)
			}
		})
	}
	// Exact sums: 0.1 + 0.2 is 0.30, not 0.30000000000000004.
	a, _ := ParseAmount("0.1")
	b, _ := ParseAmount("0.2")
	if got := (a + b).Format("EUR"); got != "0.30" {
		t.Fatalf("0.1+0.2 = %s", got)
	}
	c, _ := ParseAmount("100.00")
	if got := c.Div(3, "EUR").Format("EUR"); got != "33.33" {
		t.Fatalf("100/3 = %s", got)
	}
	d, _ := ParseAmount("0.05")
	if got := d.Div(2, "EUR").Format("EUR"); got != "0.03" {
		t.Fatalf("0.05/2 = %s (half away from zero)", got)
	}
}
