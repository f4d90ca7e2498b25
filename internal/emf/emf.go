// Package emf writes CloudWatch Embedded Metric Format lines: one JSON
// object per line on the Lambda's stdout, which CloudWatch Logs turns into
// metrics without any API call.
package emf

import (
	"encoding/json"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
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
	ts := w.now().UnixMilli()
	b, ok := appendCount(make([]byte, 0, 256), name, value, dims, ts)
	if !ok {
		var err error
		if b, err = marshalCount(name, value, dims, ts); err != nil {
			return // only strings and numbers: cannot fail
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.out.Write(append(b, '\n'))
}

// marshalCount is the line as json.Marshal writes it from maps (keys
// sorted). appendCount writes the same bytes without the maps.
func marshalCount(name string, value float64, dims map[string]string, ts int64) ([]byte, error) {
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
		"Timestamp": ts,
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{keys},
			"Metrics":    []any{map[string]string{"Name": name, "Unit": "Count"}},
		}},
	}
	return json.Marshal(doc)
}

// appendCount appends marshalCount's bytes to b, or reports false for the
// inputs it leaves to marshalCount: a string that json would escape, a
// value json writes with an exponent (or cannot write), or a dimension
// named like the metric or "_aws".
func appendCount(b []byte, name string, value float64, dims map[string]string, ts int64) ([]byte, bool) {
	if abs := math.Abs(value); math.IsNaN(value) || math.IsInf(value, 0) || abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return nil, false
	}
	if !plain(name) || name == "_aws" {
		return nil, false
	}
	var kbuf, tbuf [8]string
	keys := kbuf[:0]
	for k, v := range dims {
		if v == "" {
			continue
		}
		if k == name || k == "_aws" || !plain(k) || !plain(v) {
			return nil, false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	top := append(append(tbuf[:0], keys...), name, "_aws")
	slices.Sort(top)
	b = append(b, '{')
	for i, k := range top {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":`...)
		switch k {
		case name:
			b = strconv.AppendFloat(b, value, 'f', -1, 64)
		case "_aws":
			b = append(b, `{"CloudWatchMetrics":[{"Dimensions":[[`...)
			for j, d := range keys {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '"')
				b = append(b, d...)
				b = append(b, '"')
			}
			b = append(b, `]],"Metrics":[{"Name":"`...)
			b = append(b, name...)
			b = append(b, `","Unit":"Count"}],"Namespace":"`+Namespace+`"}],"Timestamp":`...)
			b = strconv.AppendInt(b, ts, 10)
			b = append(b, '}')
		default:
			b = append(b, '"')
			b = append(b, dims[k]...)
			b = append(b, '"')
		}
	}
	return append(b, '}'), true
}

// plain reports whether json.Marshal writes s as it is between quotes:
// printable ASCII without the quote, the backslash and <, >, &.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
