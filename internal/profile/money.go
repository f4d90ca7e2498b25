package profile

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Amount is an exact amount of money in millionths of a currency unit.
// Decimal strings from webhooks ("129.90", "1000", "0.125") parse into it
// without loss; sums never touch floating point. Six fraction digits cover
// every ISO 4217 currency; the range is ±9.2 trillion units.
type Amount int64

const amountScale = 1_000_000

var errAmount = errors.New("not a decimal amount")

// ParseAmount reads a decimal string: optional sign, digits, optional
// fraction of at most six digits. "" is zero.
func ParseAmount(s string) (Amount, error) {
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
		return 0, fmt.Errorf("%q: %w", s, errAmount)
	}
	var w int64
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w > math.MaxInt64/amountScale-1 {
			return 0, fmt.Errorf("%q: out of range: %w", s, errAmount)
		}
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64) // at most 6 digits: cannot fail
		for range 6 - len(frac) {
			f *= 10 // scale to millionths without building a padded string
		}
	}
	v := w*amountScale + f
	if neg {
		v = -v
	}
	return Amount(v), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Format writes the amount with the currency's minor-unit digits (2 for
// EUR, 0 for JPY, 3 for KWD), adding digits only when the value has more.
// The result depends only on the value, so equal sums print equally.
func (a Amount) Format(currency string) string {
	exp := currencyExponent(currency)
	neg := a < 0
	v := int64(a)
	if neg {
		v = -v
	}
	whole, frac := v/amountScale, v%amountScale
	fs := fmt.Sprintf("%06d", frac)
	fs = strings.TrimRight(fs, "0")
	if len(fs) < exp {
		fs += strings.Repeat("0", exp-len(fs))
	}
	out := strconv.FormatInt(whole, 10)
	if fs != "" {
		out += "." + fs
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Div divides by n, rounding half away from zero to the currency's minor
// unit (an average order value).
func (a Amount) Div(n int64, currency string) Amount {
	if n == 0 {
		return 0
	}
	unit := int64(1)
	for range 6 - currencyExponent(currency) {
		unit *= 10
	}
	minor := int64(a) / unit // a is a sum of minor-unit amounts in practice
	q, r := minor/n, minor%n
	if 2*abs(r) >= abs(n) {
		if (minor < 0) != (n < 0) {
			q--
		} else {
			q++
		}
	}
	return Amount(q * unit)
}

// Float is the amount as a number, for numeric Choice rules only.
func (a Amount) Float() float64 { return float64(a) / amountScale }

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// currencyExponent is the ISO 4217 minor-unit count; 2 when not listed.
func currencyExponent(c string) int {
	switch strings.ToUpper(c) {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	}
	return 2
}
