// Package emf writes CloudWatch Embedded Metric Format lines: one JSON
// object per line on the Lambda's stdout, which CloudWatch Logs turns into
// metrics without any API call.
package emf

import (
	"encoding/json"
	"io"
	"sort"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every parcours metric.
const Namespace = "Parcours"

// Writer emits metrics. The zero value discards them; it is safe for
// concurrent use.
type Writer struct {
	mu  sync.Mutex
	out io.Writer
	now func() time.Time
}

// New returns a writer to out (os.Stdout in a Lambda).
func New(out io.Writer, now func() time.Time) *Writer { return &Writer{out: out, now: now} }

// Count emits one Count metric with the given dimensions (empty values are
// left out, so "Reason" only appears when there is one).
func (w *Writer) Count(name string, value float64, dims map[string]string) {
	if w == nil || w.out == nil {
		return
	}
	keys := make([]string, 0, len(dims))
	doc := map[string]any{name: value}
	for k, v := range dims {
		if v == "" {
			continue
		}
		keys = append(keys, k)
		doc[k] = v
	}
	sort.Strings(keys)
	doc["_aws"] = map[string]any{
		"Timestamp": w.now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{keys},
			"Metrics":    []any{map[string]string{"Name": name, "Unit": "Count"}},
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return // only strings and numbers: cannot fail
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.out.Write(append(b, '\n'))
}
