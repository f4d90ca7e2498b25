package asl

import "testing"

// VerifyBounds makes every payload size check of the test fail it when the
// bound the engine derived is below the payload's real size (PayloadSize).
func VerifyBounds(t testing.TB) {
	t.Helper()
	verifyBound = func(v any, bound int32) {
		if bound <= 0 {
			// fits works it out: payloadBound, which takes the bound an
			// object keeps (Normalize, States.StringToJson) as it is.
			bound = clampBound(payloadBound(v, MaxPayloadBytes))
		}
		if n := PayloadSize(v); n > int(bound) && bound <= MaxPayloadBytes {
			t.Errorf("bound %d below the payload size %d of %.200s", bound, n, mustEncode(v))
		}
	}
	t.Cleanup(func() { verifyBound = nil })
}

func mustEncode(v any) string {
	s, err := encodeJSON(v)
	if err != nil {
		return err.Error()
	}
	return s
}

// norm is Normalize for values a test knows are JSON.
func norm(v any) any {
	n, err := Normalize(v)
	if err != nil {
		panic(err)
	}
	return n
}
