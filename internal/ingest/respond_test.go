package ingest

import (
	"encoding/json"
	"testing"
)

// respond writes its body by hand: it must be json.Marshal's, byte for byte.
func TestRespondMatchesMarshal(t *testing.T) {
	reasons := []string{
		"", reasonSignature, reasonStorage, "body larger than 1048576 bytes", `properties.a"b: longer than 4096 bytes`,
		`line_items[0].title: required`, "a\\b", "<script>&", "tab\there", "caf\u00e9", "bad \xff utf-8", "\u2028",
		`unknown event type "x" (see docs/events.md)`,
	}
	for _, status := range []string{"stored", "duplicate", "ignored", "ok", "rejected", "error", "weird\"status"} {
		for _, reason := range reasons {
			r := Response{Status: status, Reason: reason}
			want, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			got := respond(400, r)
			if got.Body != string(want) || got.StatusCode != 400 || got.Headers["Content-Type"] != "application/json" {
				t.Errorf("respond(%+v) = %d %v %s, want %s", r, got.StatusCode, got.Headers, got.Body, want)
			}
		}
	}
}

func FuzzRespond(f *testing.F) {
	f.Add("stored", "")
	f.Add("rejected", "a<b>\"c\\")
	f.Fuzz(func(t *testing.T, status, reason string) {
		r := Response{Status: status, Reason: reason}
		want, _ := json.Marshal(r)
		if got := respond(200, r).Body; got != string(want) {
			t.Fatalf("respond(%q, %q) = %s, want %s", status, reason, got, want)
		}
	})
}
