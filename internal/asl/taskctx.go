package asl

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// taskContext is the context a resolver gets for a Task with a timeout: it
// is done when its parent is or when the deadline (wall time) passes, like
// context.WithDeadline, but the timer behind Done is only made when a
// resolver asks for Done. Most resolvers answer at once and never do, and a
// deadline context costs several allocations and a runtime timer. Once
// stopped (after Invoke) it is done: Err is the error it had then, or
// context.Canceled, as with a deadline context's cancel.
type taskContext struct {
	context.Context // the parent
	deadline        time.Time

	mu     sync.Mutex
	inner  context.Context // made by the first Done
	cancel context.CancelFunc
	// err, once set, is Err for good: the parent's error or
	// DeadlineExceeded as Err first saw it, or what stop left.
	err error
}

// taskContexts are allocated taskContextSlab at a time, from a slab shared
// by every engine: a slot is handed out once (an atomic counter) and never
// reused, so a context a resolver keeps stays its own.
const taskContextSlab = 16

type taskContextSlabT struct {
	next atomic.Int32
	ctxs [taskContextSlab]taskContext
}

var curTaskContexts atomic.Pointer[taskContextSlabT]

func newTaskContext(parent context.Context, deadline time.Time) *taskContext {
	for {
		s := curTaskContexts.Load()
		if s != nil {
			if i := s.next.Add(1) - 1; i < taskContextSlab {
				c := &s.ctxs[i]
				c.Context, c.deadline = parent, deadline
				return c
			}
		}
		curTaskContexts.CompareAndSwap(s, new(taskContextSlabT))
	}
}

// Deadline is the earlier of the parent's deadline and the task's.
func (c *taskContext) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// closedChan is the Done of a stopped context that never made a timer.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// Done returns a channel closed when the parent is done, the deadline
// passes or the context is stopped.
func (c *taskContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		if c.err != nil {
			return closedChan
		}
		c.inner, c.cancel = context.WithDeadline(c.Context, c.deadline)
	}
	return c.inner.Done()
}

// Err is the parent's error, or context.DeadlineExceeded once the deadline
// has passed, or, once stopped, the error it had then or context.Canceled.
func (c *taskContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	if c.inner != nil {
		return c.inner.Err()
	}
	if err := c.Context.Err(); err != nil {
		c.err = err
		return err
	}
	// time.Until reads only the monotonic clock (the deadline has a
	// monotonic reading when made from time.Now).
	if time.Until(c.deadline) <= 0 {
		c.err = context.DeadlineExceeded
		return c.err
	}
	return nil
}

// Value is the parent's.
func (c *taskContext) Value(key any) any { return c.Context.Value(key) }

// stop cancels the context (releasing the timer, if Done made one): Err is
// from then on the error it already had (as Err or Done saw it), or
// context.Canceled. Like a deadline context's cancel, it does not look at
// the clock: a deadline nobody has seen pass loses to the cancel.
func (c *taskContext) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	if c.cancel != nil {
		c.cancel()
		c.err = c.inner.Err()
		return
	}
	c.err = context.Canceled
}
