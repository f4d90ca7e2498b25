package asl

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestTaskContextStopped: after stop a task context is done, with
// context.Canceled, whether or not Done was asked for before; contexts
// derived from it before or after are cancelled; its deadline and values
// stay; a deadline seen passing before stop stays the error.
func TestTaskContextStopped(t *testing.T) {
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-time.After(5 * time.Second):
			return false
		}
	}
	t.Run("Done never asked", func(t *testing.T) {
		deadline := time.Now().Add(time.Hour)
		c := newTaskContext(context.WithValue(context.Background(), ctxKey{}, "v"), deadline)
		if c.Err() != nil {
			t.Fatal(c.Err())
		}
		c.stop()
		if err := c.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Err after stop = %v", err)
		}
		if !closed(c.Done()) {
			t.Fatal("Done not closed after stop")
		}
		if d, ok := c.Deadline(); !ok || !d.Equal(deadline) {
			t.Errorf("Deadline = %v %v", d, ok)
		}
		if c.Value(ctxKey{}) != "v" {
			t.Error("Value lost")
		}
		child, cancel := context.WithCancel(c)
		defer cancel()
		if !closed(child.Done()) || !errors.Is(child.Err(), context.Canceled) {
			t.Fatal("a context derived after stop is not cancelled")
		}
	})
	t.Run("Done asked, child derived before", func(t *testing.T) {
		c := newTaskContext(context.Background(), time.Now().Add(time.Hour))
		child, cancel := context.WithCancel(c)
		defer cancel()
		done := c.Done()
		c.stop()
		if !closed(done) || !closed(child.Done()) {
			t.Fatal("not cancelled by stop")
		}
		if !errors.Is(c.Err(), context.Canceled) || !errors.Is(child.Err(), context.Canceled) {
			t.Fatalf("Err = %v, child's %v", c.Err(), child.Err())
		}
	})
	t.Run("deadline seen before stop", func(t *testing.T) {
		c := newTaskContext(context.Background(), time.Now().Add(-time.Second))
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Fatal(c.Err())
		}
		c.stop()
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Fatalf("Err after stop = %v", c.Err())
		}
	})
	t.Run("parent cancelled after stop", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		c := newTaskContext(parent, time.Now().Add(time.Hour))
		c.stop()
		cancel()
		if !errors.Is(c.Err(), context.Canceled) {
			t.Fatal(c.Err())
		}
	})
}

// TestTaskContextsDistinct: task contexts made at once by many goroutines
// (run with -race) are distinct and keep their own deadlines.
func TestTaskContextsDistinct(t *testing.T) {
	const workers, each = 8, 100
	var mu sync.Mutex
	seen := map[*taskContext]bool{}
	var wg sync.WaitGroup
	base := time.Now().Add(time.Hour)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]*taskContext, each)
			for i := range mine {
				mine[i] = newTaskContext(context.Background(), base.Add(time.Duration(w*each+i)))
			}
			for i, c := range mine {
				if d, _ := c.Deadline(); !d.Equal(base.Add(time.Duration(w*each + i))) {
					t.Errorf("context %d/%d has deadline %v", w, i, d)
				}
				c.stop()
			}
			mu.Lock()
			defer mu.Unlock()
			for _, c := range mine {
				if seen[c] {
					t.Error("a task context handed out twice")
				}
				seen[c] = true
			}
		}()
	}
	wg.Wait()
}

// TestTaskContextOfInvoke: a Task with a timeout gets a context with the
// deadline (now + TimeoutSeconds, wall time), not done during Invoke and
// cancelled once Invoke has returned; the Task's result is kept.
func TestTaskContextOfInvoke(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r","TimeoutSeconds":30,"Next":"U"},"U":{"Type":"Task","Resource":"r","End":true}}}`)
	var kept []context.Context
	before := time.Now()
	e := NewEngine(EngineOptions{Start: t0, Resolver: ResolverFunc(func(ctx context.Context, c TaskCall) (any, error) {
		d, ok := ctx.Deadline()
		if c.StateName == "T" {
			if !ok || d.Before(before.Add(30*time.Second)) || d.After(time.Now().Add(30*time.Second)) {
				t.Errorf("deadline %v %v, want about now + 30s", d, ok)
			}
			if ctx.Err() != nil {
				t.Errorf("Err during Invoke = %v", ctx.Err())
			}
		}
		kept = append(kept, ctx)
		return map[string]any{"ok": true}, nil
	})})
	x, err := e.Start(context.Background(), sm, "", nil)
	if err != nil || x.Status != StatusSucceeded {
		t.Fatalf("%v %s %s", err, x.Status, x.Cause)
	}
	if len(kept) != 2 {
		t.Fatalf("%d calls", len(kept))
	}
	if err := kept[0].Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after Invoke = %v", err)
	}
	select {
	case <-kept[0].Done():
	default:
		t.Error("Done not closed after Invoke")
	}
	if kept[1].Err() != nil {
		t.Error("a Task without a timeout got a cancelled context")
	}
}
