package profile

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

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

// parseAmountRef is ParseAmount as it was before its fraction stopped
// being padded with strings.Repeat: the two must agree on every input.
func parseAmountRef(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 6 || !digits(whole) || !digits(frac) {
		return 0, errAmount
	}
	var w int64
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w > math.MaxInt64/amountScale-1 {
			return 0, errAmount
		}
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	}
	v := w*amountScale + f
	if neg {
		v = -v
	}
	return Amount(v), nil
}

var amountSeeds = []string{"129.90", "129.9", "0.125", "1.5", "-3.10", "+2.000001", "", ".5", "5.", "123456789012.345678", "1.2345678", "abc", "-", " 7.25 ", "0.000001"}

func checkAmount(t *testing.T, s string) {
	got, err := ParseAmount(s)
	want, wantErr := parseAmountRef(s)
	if got != want || (err == nil) != (wantErr == nil) {
		t.Fatalf("ParseAmount(%q) = %d, %v; reference %d, %v", s, got, err, want, wantErr)
	}
}

func TestParseAmountMatchesReference(t *testing.T) {
	for _, s := range amountSeeds {
		t.Run(s, func(t *testing.T) { checkAmount(t, s) })
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range amountSeeds {
		f.Add(s)
	}
	f.Fuzz(checkAmount)
}
