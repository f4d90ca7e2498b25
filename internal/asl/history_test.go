package asl

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// chunks returns the event log's chunks, in order.
func (l *eventLog) chunks() [][]event {
	if l.cur == nil {
		return nil
	}
	return append(l.full[:len(l.full):len(l.full)], l.cur)
}

// historyJSON is an execution's History as GetExecutionHistory writes it,
// one event a line.
func historyJSON(t *testing.T, x *Execution) string {
	t.Helper()
	var b strings.Builder
	for _, h := range x.History() {
		j, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestHistoryDetails checks every kind of event's details against a history
// recorded before events were made compact (32 bytes, the Task resource in
// the event kind, error and Map fields in the value): a failed and a timed
// out Task keep their resource, error and cause; Map events their index and
// length; failed, aborted and timed out executions their error and cause;
// a Task state reused under two names reports its resource under both.
func TestHistoryDetails(t *testing.T) {
	task := &State{Type: "Task", Resource: "arn:aws:states:::sqs:sendMessage", End: true}
	var b1, b2 StateMachine
	b1.StartAt, b2.StartAt = "B1", "B2"
	b1.States.Add("B1", task)
	b2.States.Add("B2", task)
	main := mustParse(t, `{"StartAt":"T1","States":{
		"T1":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"T2"}],"Next":"T2"},
		"T2":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","TimeoutSeconds":5,"Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err2","Next":"M"}],"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.mapped","Iterator":{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"Next":"M2"},
		"M2":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,"ResultPath":"$.m2","Iterator":{"StartAt":"Y","States":{"Y":{"Type":"Fail","Error":"E.Iter","Cause":"iteration failed"}}},
			"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err3","Next":"P"}],"Next":"P"},
		"P":{"Type":"Parallel","Branches":[{"StartAt":"Z","States":{"Z":{"Type":"Succeed"}}}],"ResultPath":"$.par","Next":"W"},
		"W":{"Type":"Wait","Seconds":60,"Next":"F"},
		"F":{"Type":"Fail","Error":"Boom","Cause":"it failed"}}}`)
	main.States.Get("P").Branches = []StateMachine{b1, b2}
	parked := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	timedOut := mustParse(t, `{"StartAt":"W","TimeoutSeconds":10,"States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)
	res := ResolverFunc(func(ctx context.Context, c TaskCall) (any, error) {
		switch c.StateName {
		case "T1":
			return nil, &Error{Name: "Custom.Err", Cause: "custom cause"}
		case "T2":
			return nil, context.DeadlineExceeded
		}
		return map[string]any{"ok": true, "in": c.Input}, nil
	})
	ctx := context.Background()
	e := NewEngine(EngineOptions{Start: t0, Resolver: res})
	xs := make([]*Execution, 3)
	for i, sm := range []*StateMachine{main, parked, timedOut} {
		x, err := e.Start(ctx, sm, string(rune('a'+i)), map[string]any{"items": []any{1, "two", 3}})
		if err != nil {
			t.Fatal(err)
		}
		xs[i] = x
	}
	e.Advance(ctx, 30*time.Second)
	if err := e.Stop("b", "Stopped.ByTest", "the test stopped it"); err != nil {
		t.Fatal(err)
	}
	e.RunUntilIdle(ctx)
	var got strings.Builder
	for _, x := range xs {
		got.WriteString(historyJSON(t, x))
	}
	if os.Getenv("PARCOURS_PRINT_HISTORY") != "" {
		os.WriteFile(os.Getenv("PARCOURS_PRINT_HISTORY"), []byte(got.String()), 0o644)
	}
	want, err := os.ReadFile("testdata/history_details.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("history:\n%s\nwant:\n%s", got.String(), want)
	}
}

// TestHistoryFlowingClock: with a VirtualClock flowing (Speed above zero,
// set before or after the engine is made) events are stamped with the
// clock's time as it flows, not the time it was last set to; with any
// other Clock, with that clock's time.
func TestHistoryFlowingClock(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","Next":"B"},"B":{"Type":"Pass","End":true}}}`)
	wall := t0.Add(1000 * time.Hour)
	c := NewVirtualClock(t0)
	c.wall = func() time.Time { return wall }
	var e *Engine
	e = NewEngine(EngineOptions{Clock: c, Resolver: ResolverFunc(func(context.Context, TaskCall) (any, error) {
		wall = wall.Add(time.Second) // the task takes one wall second
		return 1, nil
	})})
	c.SetSpeed(60)
	x, err := e.Start(context.Background(), sm, "", nil)
	if err != nil || x.Status != StatusSucceeded {
		t.Fatalf("%v %v", err, x.Status)
	}
	var got []string
	for _, h := range x.History() {
		got = append(got, h.Type+"@"+h.Timestamp.Sub(t0).String())
	}
	want := "ExecutionStarted@0s TaskStateEntered@0s TaskScheduled@0s TaskStarted@0s TaskSucceeded@1m0s TaskStateExited@1m0s PassStateEntered@1m0s PassStateExited@1m0s ExecutionSucceeded@1m0s"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("history %s\nwant    %s", g, want)
	}

	// A clock that is not a VirtualClock is read through its interface.
	now := t0
	e = NewEngine(EngineOptions{Clock: clockFunc(func() time.Time { now = now.Add(time.Second); return now }), Resolver: ResolverFunc(func(context.Context, TaskCall) (any, error) { return 1, nil })})
	x, err = e.Start(context.Background(), sm, "", nil)
	if err != nil || x.Status != StatusSucceeded {
		t.Fatalf("%v %v", err, x.Status)
	}
	h := x.History()
	for i := 1; i < len(h); i++ {
		if !h[i].Timestamp.After(h[i-1].Timestamp) {
			t.Fatalf("event %d at %v, event %d at %v", i, h[i].Timestamp, i+1, h[i-1].Timestamp)
		}
	}
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// TestVirtualClockConcurrent reads a VirtualClock while it is set and its
// speed changed (run with -race): settings are published whole, and while
// the clock stands still (moved only by Set) readers never see time go
// back. (A flowing clock read concurrently with a change may step back by
// the wall time between two readings; that is not checked.)
func TestVirtualClockConcurrent(t *testing.T) {
	c := NewVirtualClock(t0)
	var flowing atomic.Bool
	done := make(chan struct{})
	errs := make(chan string, 4)
	var started sync.WaitGroup
	started.Add(4)
	for range 4 {
		go func() {
			defer func() { errs <- "" }()
			last := t0
			for i := 0; ; i++ {
				if i == 1 {
					started.Done()
				}
				select {
				case <-done:
					return
				default:
				}
				f := flowing.Load()
				n := c.Now()
				if f || flowing.Load() {
					last = t0 // read while flowing: not compared
					continue
				}
				if n.Before(last) {
					errs <- "time went back from " + last.String() + " to " + n.String()
					return
				}
				last = n
			}
		}()
	}
	started.Wait()
	for i := range 20000 {
		c.Set(t0.Add(time.Duration(i) * time.Second))
		if i == 10000 {
			flowing.Store(true)
			c.SetSpeed(100)
		}
		if i == 15000 {
			c.SetSpeed(0)
			flowing.Store(false)
		}
	}
	close(done)
	for range 4 {
		if msg := <-errs; msg != "" {
			t.Fatal(msg)
		}
	}
	if n := c.Now(); n.Before(t0.Add(19999 * time.Second)) {
		t.Fatalf("clock at %v", n)
	}
}

// TestEventHint: once a machine has run, an execution of it as long as
// the last allocates its history in one chunk (four allocations fewer here:
// chunks of 8, 16, 32 and 64 events and the list of full ones). A longer
// execution than the last still records every event in order, the same
// history as without a hint; a very long one leaves a hint of
// maxEventChunk events, which the next, shorter, allocates.
func TestEventHint(t *testing.T) {
	const def = `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,
		"Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`
	sm := mustParse(t, def)
	run := func(sm *StateMachine, items int) *Execution {
		t.Helper()
		x, err := NewEngine(EngineOptions{Start: t0}).Start(context.Background(), sm, "x", map[string]any{"items": make([]any, items)})
		if err != nil || x.Status != StatusSucceeded {
			t.Fatalf("%v %s", err, x.Status)
		}
		return x
	}
	hint := func() (total, before int) { h := sm.eventHint(); return h.total(), h.before() }

	x := run(sm, 20)
	n := x.events.n
	if got := len(x.events.chunks()); n <= 2*firstEventChunk || got < 3 {
		t.Fatalf("the first execution records %d events in %d chunks, want more than %d in chunks of 8, 16, …", n, got, 2*firstEventChunk)
	}
	if total, before := hint(); total != n || before != n {
		t.Fatalf("hint %d (%d before a wait) after an execution of %d events", total, before, n)
	}
	x = run(sm, 20)
	if c := x.events.chunks(); len(c) != 1 || x.events.full != nil || len(c[0]) != n {
		t.Errorf("the second execution records %d events in %d chunks, want %d in one", x.events.n, len(c), n)
	}
	unhinted := testing.AllocsPerRun(20, func() {
		atomic.StoreUint32(&sm.historyHint, 0)
		run(sm, 20)
	})
	hinted := testing.AllocsPerRun(20, func() { run(sm, 20) })
	if unhinted-hinted != 4 {
		t.Errorf("an execution allocates %v times with the hint, %v without, want 4 fewer", hinted, unhinted)
	}

	// Short, then long: the long one records its events in order, as it
	// would on a machine that never ran.
	short := run(sm, 2).events.n
	if total, _ := hint(); total != short || short <= firstEventChunk {
		t.Fatalf("hint %d after an execution of %d events", total, short)
	}
	x = run(sm, 100)
	if c := x.events.chunks(); cap(c[0]) < short || cap(c[0]) >= 2*short {
		t.Errorf("the long execution's first chunk holds %d events after a hint of %d", cap(c[0]), short)
	}
	if got, want := historyJSON(t, x), historyJSON(t, run(mustParse(t, def), 100)); got != want {
		t.Errorf("history after a shorter execution:\n%s\nwant:\n%s", got, want)
	}
	if total, before := hint(); total != maxEventChunk || before != maxEventChunk || x.events.n <= maxEventChunk {
		t.Errorf("hint %d (%d before a wait) after an execution of %d events, want %d", total, before, x.events.n, maxEventChunk)
	}
	x = run(sm, 2)
	if c := x.events.chunks(); len(c) != 1 || cap(c[0]) != maxEventChunk {
		t.Errorf("after the long execution, a short one has %d chunks", len(c))
	}
	if total, _ := hint(); total != short {
		t.Errorf("hint %d after an execution of %d events", total, short)
	}
}

// TestEventHintWait: an execution that waits leaves how many events it
// recorded before the wait, and the next one's first chunk holds only
// those, so that while it is parked it holds no more than without a hint;
// the second chunk makes room for the rest. A wait that lasts 0s is no
// wait.
func TestEventHintWait(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"W"},
		"W":{"Type":"Wait","Seconds":3600,"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.items","End":true,"Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`)
	ctx := context.Background()
	start := func(waits map[string]time.Duration) (*Engine, *Execution) {
		t.Helper()
		e := NewEngine(EngineOptions{Start: t0, WaitOverrides: waits})
		x, err := e.Start(ctx, sm, "x", map[string]any{"items": make([]any, 20)})
		if err != nil || x.Status != StatusRunning {
			t.Fatalf("%v %s", err, x.Status)
		}
		return e, x
	}
	e, x := start(nil)
	parked := x.events.n // ExecutionStarted, PassStateEntered, PassStateExited, WaitStateEntered
	e.RunUntilIdle(ctx)
	want := historyJSON(t, x)
	n := x.events.n
	if h := sm.eventHint(); h.total() != n || h.before() != parked || parked != 4 {
		t.Fatalf("hint %d (%d before a wait) after an execution of %d events, %d before its wait", h.total(), h.before(), n, parked)
	}
	e, x = start(nil)
	if c := x.events.chunks(); len(c) != 1 || cap(c[0]) != firstEventChunk {
		t.Errorf("a parked execution holds chunks of %d events", len(c))
	}
	e.RunUntilIdle(ctx)
	if c := x.events.chunks(); len(c) != 2 || cap(c[0])+cap(c[1]) < n || cap(c[1]) >= n+firstEventChunk {
		t.Errorf("an execution of %d events holds %d chunks, the first of %d", n, len(c), cap(c[0]))
	}
	if got := historyJSON(t, x); got != want {
		t.Errorf("history:\n%s\nwant:\n%s", got, want)
	}

	// Waits of 0s: the history is allocated in one chunk.
	e, _ = start(map[string]time.Duration{"W": 0})
	e.RunUntilIdle(ctx)
	if h := sm.eventHint(); h.total() != n || h.before() != n {
		t.Fatalf("hint %d (%d before a wait) after an execution of %d events that did not wait", h.total(), h.before(), n)
	}
	e, x = start(map[string]time.Duration{"W": 0})
	e.RunUntilIdle(ctx)
	if c := x.events.chunks(); len(c) != 1 || x.events.n != n {
		t.Errorf("an execution that does not wait records %d events in %d chunks", x.events.n, len(c))
	}
}

// TestEventLogHinted grows logs with hints of every size up to 300 events
// (some of them recorded before a wait) to 800 events, against a log
// without a hint: the events stay in order, no chunk holds more than
// maxEventChunk events, the first holds those recorded before the wait,
// the first two those recorded in all, and a log longer than the hint has
// room for at most firstEventChunk events more than a log without one, in
// no more chunks.
func TestEventLogHinted(t *testing.T) {
	room := func(l *eventLog) int {
		r := 0
		for _, c := range l.chunks() {
			r += cap(c)
		}
		return r
	}
	var plain eventLog
	plainRoom := make([]int, 801)
	plainChunks := make([]int, 801)
	for n := 1; n <= 800; n++ {
		plain.add(event{at: int64(n)})
		plainRoom[n], plainChunks[n] = room(&plain), len(plain.chunks())
	}
	for total := range 301 {
		for _, before := range []int{0, 1, 4, 8, 9, 14, total / 3, total - 1, total} {
			before = max(min(before, total), 0)
			h := eventHint(min(total, maxEventChunk) | min(before, maxEventChunk)<<16)
			var l eventLog
			r, chunks := 0, 0 // the log's room and chunks
			hinted := 0       // the room the hint gave
			for n := 1; n <= 800; n++ {
				if len(l.cur) == cap(l.cur) {
					l.grow(h)
					r, chunks = r+cap(l.cur), chunks+1
					if chunks <= 2 {
						hinted = r
					}
					if cap(l.cur) > maxEventChunk {
						t.Fatalf("hint %d/%d: a chunk holds %d", before, total, cap(l.cur))
					}
				}
				l.cur = append(l.cur, event{at: int64(n)})
				l.n++
				if n == 1 && (cap(l.cur) < min(before, maxEventChunk) || cap(l.cur) < firstEventChunk) {
					t.Fatalf("hint %d/%d: the first chunk holds %d", before, total, cap(l.cur))
				}
				if n <= min(total, maxEventChunk) && chunks > 2 {
					t.Fatalf("hint %d/%d: %d events in %d chunks", before, total, n, chunks)
				}
				if n > hinted && (r > plainRoom[n]+firstEventChunk || chunks > plainChunks[n]) {
					t.Fatalf("hint %d/%d, %d events: room for %d in %d chunks, for %d in %d without the hint",
						before, total, n, r, chunks, plainRoom[n], plainChunks[n])
				}
			}
			if r != room(&l) || chunks != len(l.chunks()) {
				t.Fatalf("hint %d/%d: counted room for %d in %d chunks, the log has %d in %d", before, total, r, chunks, room(&l), len(l.chunks()))
			}
			for i, ev := range l.all {
				if ev.at != int64(i+1) {
					t.Fatalf("hint %d/%d: event %d has at %d", before, total, i, ev.at)
				}
			}
		}
	}
}

// TestHintOf: an execution's hint counts its events, and those recorded
// before its clock first moved on by more than hintWait, wherever the wait
// falls (in the first chunk, a later one, the last event), both at most
// maxEventChunk.
func TestHintOf(t *testing.T) {
	for n := 1; n <= 300; n++ {
		for k := 1; k <= n+1; k++ { // events before the wait (n+1: none)
			var l eventLog
			at := func(i int) int64 {
				if i < k {
					return int64(i) * int64(time.Millisecond) // the clock flowing
				}
				return int64(i)*int64(time.Millisecond) + int64(time.Hour)
			}
			for i := range n {
				l.add(event{at: at(i)})
			}
			h := hintOf(&l, at(n))
			if h.total() != min(n+1, maxEventChunk) || h.before() != min(k, n+1, maxEventChunk) {
				t.Fatalf("%d events, %d before the wait: hint %d, %d before", n+1, k, h.total(), h.before())
			}
		}
	}
}
