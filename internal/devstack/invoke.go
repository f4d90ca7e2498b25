package devstack

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

// concurrentHandler is lambda.NewHandler(fn) made safe for the dev stack's
// concurrent invocations (HTTP routes, the stream's workers, the engine's
// tasks). aws-lambda-go's Invoke returns the bytes of a pooled buffer it
// has already put back into its pool, which holds while the Lambda runtime
// invokes one at a time and not otherwise: a second invocation of the
// same handler can overwrite the first one's answer while it is decoded.
// Each invocation here takes a handler of its own from a pool and copies
// the answer before giving the handler back.
type concurrentHandler struct {
	fn   any
	pool sync.Pool
}

func newConcurrentHandler(fn any) *concurrentHandler { return &concurrentHandler{fn: fn} }

func (c *concurrentHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h, _ := c.pool.Get().(lambda.Handler)
	if h == nil {
		h = lambda.NewHandler(c.fn)
	}
	defer c.pool.Put(h)
	out, err := h.Invoke(ctx, payload)
	return bytes.Clone(out), err
}

// syncWriter serializes writes to the stack's log writer: the functions'
// slog handlers and EMF writers each lock on their own, and share it.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
