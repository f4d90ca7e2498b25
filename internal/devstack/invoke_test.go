package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// Many concurrent invocations of one function each get their own answer
// (aws-lambda-go's Invoke alone hands back a pooled buffer another
// invocation may already be writing; -race reports it).
func TestConcurrentHandler(t *testing.T) {
	type in struct{ N int }
	type out struct{ Echo string }
	h := newConcurrentHandler(func(_ context.Context, v in) (out, error) {
		return out{Echo: fmt.Sprintf("answer-%06d", v.N)}, nil
	})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				n := g*1000 + i
				b, err := h.Invoke(context.Background(), fmt.Appendf(nil, `{"N":%d}`, n))
				if err != nil {
					t.Errorf("invoke %d: %v", n, err)
					return
				}
				var o out
				if err := json.Unmarshal(b, &o); err != nil || o.Echo != fmt.Sprintf("answer-%06d", n) {
					t.Errorf("invoke %d answered %s (%v)", n, b, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
