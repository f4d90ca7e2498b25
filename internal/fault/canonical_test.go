package fault

import "testing"

// TestCanonicalDropsRequestToken: two TransactWriteItems bodies that differ
// only in the ClientRequestToken the SDK fills at random (and in key order)
// have one fingerprint, so a seed decides their faults; other fields, and a
// token below the top level, still count.
func TestCanonicalDropsRequestToken(t *testing.T) {
	a := canonical([]byte(`{"ClientRequestToken":"4f1c","TransactItems":[{"Put":{"TableName":"t"}}]}`))
	b := canonical([]byte(`{"TransactItems":[{"Put":{"TableName":"t"}}],"ClientRequestToken":"9e2d"}`))
	if string(a) != string(b) {
		t.Errorf("fingerprints differ: %s / %s", a, b)
	}
	if want := `{"TransactItems":[{"Put":{"TableName":"t"}}]}`; string(a) != want {
		t.Errorf("canonical = %s, want %s", a, want)
	}
	c := canonical([]byte(`{"ClientRequestToken":"4f1c","TransactItems":[{"Put":{"TableName":"u"}}]}`))
	if string(a) == string(c) {
		t.Errorf("different items, one fingerprint: %s", c)
	}
	d := canonical([]byte(`{"Item":{"ClientRequestToken":{"S":"x"}}}`))
	if want := `{"Item":{"ClientRequestToken":{"S":"x"}}}`; string(d) != want {
		t.Errorf("nested token dropped: %s", d)
	}
}
