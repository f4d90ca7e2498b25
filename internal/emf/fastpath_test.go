package emf

import (
	"math"
	"testing"
)

// appendCount must write exactly marshalCount's bytes whenever it takes
// the line.
func TestAppendCountMatchesMarshal(t *testing.T) {
	cases := []struct {
		name  string
		value float64
		dims  map[string]string
	}{
		{"WebhookAccepted", 1, map[string]string{"Source": "shopify"}},
		{"EmailsSkipped", 1, map[string]string{"Journey": "welcome", "Step": "first", "Reason": ""}},
		{"NoDims", 3, nil},
		{"Empty", 0, map[string]string{"A": ""}},
		{"Negative", -0.5, map[string]string{"z": "1", "a": "2", "M": "3", "_x": "4", "Negative2": "5"}},
		{"zLower", 1e20, map[string]string{"Source": "x", "aaa": "y"}},
		{"Many", 2, map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7", "h": "8", "i": "9", "j": "10"}},
		{"Frac", 0.000001, nil},
		{"NegZero", math.Copysign(0, -1), nil},
		// Left to marshalCount.
		{"Tiny", 1e-7, nil},
		{"Huge", 1e21, nil},
		{"Escaped<", 1, nil},
		{"Dim", 1, map[string]string{"Source": `quote"d`}},
		{"Dim", 1, map[string]string{"Dim": "collides"}},
		{"Dim", 1, map[string]string{"_aws": "collides"}},
		{"_aws", 1, nil},
		{"Uni", 1, map[string]string{"Source": "caf\u00e9"}},
	}
	const fast = 9 // the cases before "Left to marshalCount"
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := appendCount(nil, c.name, c.value, c.dims, 0); ok != (i < fast) {
				t.Fatalf("appendCount took the line: %v, want %v", ok, i < fast)
			}
			check(t, c.name, c.value, c.dims)
		})
	}
}

func check(t *testing.T, name string, value float64, dims map[string]string) {
	want, err := marshalCount(name, value, dims, 1700000000000)
	got, ok := appendCount(nil, name, value, dims, 1700000000000)
	if !ok {
		return
	}
	if err != nil || string(got) != string(want) {
		t.Fatalf("appendCount(%q, %v, %v)\n got  %s\n want %s (%v)", name, value, dims, got, want, err)
	}
}

func FuzzAppendCount(f *testing.F) {
	f.Add("WebhookAccepted", 1.0, "Source", "shopify", "Reason", "")
	f.Add("X", 2.5, "a", "b", "_aws", "c")
	f.Fuzz(func(t *testing.T, name string, value float64, k1, v1, k2, v2 string) {
		check(t, name, value, map[string]string{k1: v1, k2: v2})
	})
}
