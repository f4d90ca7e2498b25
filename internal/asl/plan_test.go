package asl

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestCtxPathMatchesContextObject checks that reading a "$$" path field by
// field (ctxPath) gives what evaluating it against the whole context object
// gives, for every part of the object and for absent fields.
func TestCtxPathMatchesContextObject(t *testing.T) {
	e := NewEngine(EngineOptions{Start: t0})
	x := &Execution{Name: "n1", ARN: "arn:aws:states:local:000000000000:execution:SM:n1", Input: map[string]any{"a": []any{"x"}},
		StartTime: t0.Add(1500 * time.Millisecond), smName: "SM"}
	paths := []string{
		"$$", "$$.Execution", "$$.Execution.Id", "$$.Execution.Name", "$$.Execution.StartTime", "$$.Execution.Input",
		"$$.Execution.Input.a", "$$.Execution.Input.a[0]", "$$.Execution.Input.b", "$$.Execution.RoleArn", "$$.Execution.Nope",
		"$$.Execution[0]", "$$.Execution.Name.x", "$$.StateMachine", "$$.StateMachine.Id", "$$.StateMachine.Name",
		"$$.StateMachine.Nope", "$$.State", "$$.State.Name", "$$.State.EnteredTime", "$$.State.RetryCount", "$$.State.Nope",
		"$$.State[0]", "$$.State.Name.x", "$$.Map", "$$.Map.Item.Value", "$$.Nope", "$$[0]", "$$.*", "$$.Execution.*",
		"$$..Name", "$$.State['Name']",
	}
	for _, s := range paths {
		t.Run(s, func(t *testing.T) {
			p, err := ParsePath(s)
			if err != nil {
				t.Fatal(err)
			}
			x.ctxExec, x.ctxSM = nil, nil
			r := &run{exec: x, name: "S", entered: t0.Add(2 * time.Second), retryCount: 2}
			got, gotOK := e.ctxPath(r, p, nil)
			full := &run{exec: x, name: "S", entered: r.entered, retryCount: 2}
			want, wantOK := p.Eval(nil, e.contextObject(full))
			if gotOK != wantOK || !reflect.DeepEqual(got, want) {
				t.Errorf("ctxPath = %#v, %v; context object gives %#v, %v", got, gotOK, want, wantOK)
			}
		})
	}
}

// TestTimerHeapOrder pops timers by time, and timers due at the same time
// in the order they were scheduled.
func TestTimerHeapOrder(t *testing.T) {
	var h timerHeap
	offsets := []int{5, 3, 9, 3, 0, 7, 5, 1, 3, 8, 2, 0}
	for i, o := range offsets {
		h.push(timer{at: t0.Add(time.Duration(o) * time.Second), seq: uint64(i)})
	}
	var prev timer
	for i := range offsets {
		got := h.pop()
		if i > 0 && (got.at.Before(prev.at) || got.at.Equal(prev.at) && got.seq < prev.seq) {
			t.Fatalf("pop %d = (%v, %d) after (%v, %d)", i, got.at, got.seq, prev.at, prev.seq)
		}
		prev = got
	}
	if len(h) != 0 {
		t.Fatalf("%d timers left", len(h))
	}
}

// TestTaskCallContextObject checks that a resolver's TaskCall.ContextObject
// is the context object the state's own paths see ("$$"), on the first
// attempt and on a retry.
func TestTaskCallContextObject(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":90,"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Parameters":{"ctx.$":"$$"},
		"Retry":[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":2}],"End":true}}}`)
	calls := 0
	res := ResolverFunc(func(_ context.Context, c TaskCall) (any, error) {
		calls++
		want := c.Input.(map[string]any)["ctx"]
		if got := c.ContextObject(); !reflect.DeepEqual(got, want) {
			t.Errorf("attempt %d: ContextObject() = %#v, $$ = %#v", c.Attempt, got, want)
		}
		if calls == 1 {
			return nil, errors.New("once")
		}
		return map[string]any{}, nil
	})
	x, err := Run(context.Background(), sm, map[string]any{"a": "b"}, EngineOptions{Resolver: res, Start: t0, StateMachineName: "SM"})
	if err != nil || x.Status != StatusSucceeded || calls != 2 {
		t.Fatalf("run: %v, %s %s %s, %d calls", err, x.Status, x.Error, x.Cause, calls)
	}
	if (TaskCall{StateName: "S"}).ContextObject()["State"].(map[string]any)["Name"] != "S" {
		t.Error("a TaskCall made outside the engine has no State.Name")
	}
}

// TestEventLog keeps events in order across chunks, and chunks grow from 4
// to at most 256 events without copying earlier ones.
func TestEventLog(t *testing.T) {
	var l eventLog
	const n = 1000
	for i := range n {
		l.add(event{at: int64(i)})
	}
	if l.n != n {
		t.Fatalf("n = %d", l.n)
	}
	count := 0
	for i, ev := range l.all {
		if ev.at != int64(i) || i != count {
			t.Fatalf("event %d (count %d) has at %d", i, count, ev.at)
		}
		count++
	}
	if count != n {
		t.Fatalf("iterated %d events", count)
	}
	if c := cap(l.chunks[0]); c != firstEventChunk {
		t.Errorf("first chunk holds %d", c)
	}
	for _, c := range l.chunks {
		if cap(c) > maxEventChunk {
			t.Errorf("a chunk holds %d", cap(c))
		}
	}
	for i, ev := range l.all {
		if i == 10 {
			break
		}
		_ = ev
	}
}
