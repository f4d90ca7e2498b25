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
