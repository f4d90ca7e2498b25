package emf_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/emf"
)

func TestCount(t *testing.T) {
	var b bytes.Buffer
	w := emf.New(&b, func() time.Time { return time.UnixMilli(1700000000000) })
	w.Count("EmailsSkipped", 1, map[string]string{"Journey": "welcome", "Step": "first", "Reason": ""})
	want := `{"EmailsSkipped":1,"Journey":"welcome","Step":"first","_aws":{"CloudWatchMetrics":[{"Dimensions":[["Journey","Step"]],"Metrics":[{"Name":"EmailsSkipped","Unit":"Count"}],"Namespace":"Parcours"}],"Timestamp":1700000000000}}` + "\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
	var nilW *emf.Writer
	nilW.Count("x", 1, nil) // must not panic
}
