package asl

import (
	"context"
	"sync"
	"time"
)

// taskContext is the context a resolver gets for a Task with a timeout: it
// is done when its parent is or when the deadline (wall time) passes, like
// context.WithDeadline, but the timer behind Done is only made when a
// resolver asks for Done. Most resolvers answer at once and never do, and a
// deadline context costs several allocations and a runtime timer.
type taskContext struct {
	context.Context // the parent
	deadline        time.Time

	mu     sync.Mutex
	inner  context.Context // made by the first Done
	cancel context.CancelFunc
}

func newTaskContext(parent context.Context, deadline time.Time) *taskContext {
	return &taskContext{Context: parent, deadline: deadline}
}

// Deadline is the earlier of the parent's deadline and the task's.
func (c *taskContext) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// Done returns a channel closed when the parent is done or the deadline
// passes.
func (c *taskContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner, c.cancel = context.WithDeadline(c.Context, c.deadline)
	}
	return c.inner.Done()
}

// Err is the parent's error, or context.DeadlineExceeded once the deadline
// has passed.
func (c *taskContext) Err() error {
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner != nil {
		return inner.Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value is the parent's.
func (c *taskContext) Value(key any) any { return c.Context.Value(key) }

// stop releases the timer, if Done made one.
func (c *taskContext) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}
