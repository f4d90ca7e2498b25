package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCtxPathMatchesContextObject checks that reading a "$$" path field by
// field (ctxPath) gives what evaluating it against the whole context object
// gives, for every part of the object and for absent fields.
func TestCtxPathMatchesContextObject(t *testing.T) {
	e := NewEngine(EngineOptions{Start: t0})
	x := &Execution{Name: "n1", ARN: "arn:aws:states:local:000000000000:execution:SM:n1", Input: norm(map[string]any{"a": []any{"x"}}),
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
		want := Plain(c.Input).(map[string]any)["ctx"]
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
	if c := cap(l.chunks()[0]); c != firstEventChunk {
		t.Errorf("first chunk holds %d", c)
	}
	for _, c := range l.chunks() {
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

// TestTaskContext behaves like context.WithDeadline: not done before the
// deadline, done with DeadlineExceeded after it (whether or not Done was
// asked for first), done with the parent's error when the parent is
// cancelled, and the earlier deadline wins.
func TestTaskContext(t *testing.T) {
	t.Run("deadline passes, Done asked first", func(t *testing.T) {
		c := newTaskContext(context.Background(), time.Now().Add(20*time.Millisecond))
		defer c.stop()
		if err := c.Err(); err != nil {
			t.Fatalf("Err before the deadline = %v", err)
		}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("Done not closed after the deadline")
		}
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err = %v", err)
		}
	})
	t.Run("deadline passes, Done never asked", func(t *testing.T) {
		c := newTaskContext(context.Background(), time.Now().Add(-time.Millisecond))
		defer c.stop()
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err = %v", err)
		}
		select {
		case <-c.Done():
		default:
			t.Fatal("Done not closed after the deadline")
		}
	})
	t.Run("parent cancelled", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
		c := newTaskContext(parent, time.Now().Add(time.Hour))
		defer c.stop()
		if c.Value(ctxKey{}) != "v" {
			t.Error("Value not the parent's")
		}
		child, stopChild := context.WithCancel(c)
		defer stopChild()
		cancel()
		if err := c.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Err = %v", err)
		}
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a child context was not cancelled with the parent")
		}
	})
	t.Run("earlier deadline wins", func(t *testing.T) {
		soon := time.Now().Add(time.Minute)
		parent, cancel := context.WithDeadline(context.Background(), soon)
		defer cancel()
		c := newTaskContext(parent, soon.Add(time.Hour))
		if d, ok := c.Deadline(); !ok || !d.Equal(soon) {
			t.Errorf("Deadline = %v, %v; want the parent's %v", d, ok, soon)
		}
		c2 := newTaskContext(context.Background(), soon)
		if d, ok := c2.Deadline(); !ok || !d.Equal(soon) {
			t.Errorf("Deadline = %v, %v; want %v", d, ok, soon)
		}
	})
}

type ctxKey struct{}

// TestTaskTimeoutWallClock: a resolver that waits on its context is
// released at the state's TimeoutSeconds (wall time) and the state fails
// with States.Timeout.
func TestTaskTimeoutWallClock(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"r","TimeoutSeconds":1,"End":true}}}`)
	res := ResolverFunc(func(ctx context.Context, c TaskCall) (any, error) {
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > time.Second {
			t.Errorf("deadline %v, %v", d, ok)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Second):
			return nil, errors.New("not released")
		}
	})
	x, err := Run(context.Background(), sm, map[string]any{}, EngineOptions{Resolver: res})
	if err != nil || x.Status != StatusFailed || x.Error != ErrTimeout {
		t.Fatalf("run: %v, %s %s %s", err, x.Status, x.Error, x.Cause)
	}
}

// TestStringToJSONEachCall: every States.StringToJson call decodes its
// text (no value is carried over from an earlier call of the execution), and
// the decoded values land where ResultPath puts them.
func TestStringToJSONEachCall(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"A","States":{
		"A":{"Type":"Pass","Parameters":{"v.$":"States.StringToJson($.s)"},"ResultPath":"$.a","Next":"B"},
		"B":{"Type":"Pass","Parameters":{"v.$":"States.StringToJson($.s)"},"ResultPath":"$.b","Next":"C"},
		"C":{"Type":"Pass","Parameters":{"v.$":"States.StringToJson($.t)"},"ResultPath":"$.c","End":true}}}`)
	x, err := Run(context.Background(), sm, map[string]any{"s": `{"k":[1]}`, "t": `{"k":[2]}`}, EngineOptions{})
	if err != nil || x.Status != StatusSucceeded {
		t.Fatalf("run: %v %s %s", err, x.Status, x.Cause)
	}
	out := Plain(x.Output).(map[string]any)
	v := func(k string) map[string]any { return out[k].(map[string]any)["v"].(map[string]any) }
	if reflect.ValueOf(v("a")).Pointer() == reflect.ValueOf(v("b")).Pointer() {
		t.Error("the second call returned the first call's value")
	}
	if got := toJSON(t, out); got != `{"a":{"v":{"k":[1]}},"b":{"v":{"k":[1]}},"c":{"v":{"k":[2]}},"s":"{\"k\":[1]}","t":"{\"k\":[2]}"}` {
		t.Errorf("output %s", got)
	}
}

// TestCompareNumbersAgreesWithRat checks the float64 fast path of
// compareNumbers against exact rational comparison, on edge cases and on
// random decimals with up to 17 significant digits (those past 15 take the
// exact path).
func TestCompareNumbersAgreesWithRat(t *testing.T) {
	nums := []string{"0", "-0", "0.0", "1", "1.0", "1.00000000000001", "1.000000000000001", "0.1", "0.10", "0.3",
		"0.30000000000000004", "42.00", "42", "-42.5", "99999999999999.9", "999999999999999", "9999999999999999",
		"9007199254740993", "9007199254740992", "0.000000000000000000000000000001", "123456789012345.6", "1e2", "100",
		"-0.000001", "-1e-6", "12345678901234567890", "180", "180.00", "90.5"}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 3000 {
		digits := 1 + rng.IntN(17)
		b := make([]byte, 0, 20)
		if rng.IntN(2) == 0 {
			b = append(b, '-')
		}
		point := rng.IntN(digits + 1)
		for i := range digits {
			if i == point && i > 0 {
				b = append(b, '.')
			}
			b = append(b, byte('0'+rng.IntN(10)))
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
		nums = append(nums, string(b))
	}
	for i, a := range nums {
		near := []byte(a) // a with its last digit changed: the closest pairs
		if c := near[len(near)-1]; c >= '0' && c <= '9' {
			near[len(near)-1] = '0' + (c-'0'+1)%10
		}
		for _, b := range []string{nums[(i*7+1)%len(nums)], nums[(i*13+5)%len(nums)], a, string(near)} {
			ra, _ := new(big.Rat).SetString(a)
			rb, _ := new(big.Rat).SetString(b)
			got, ok := compareNumbers(json.Number(a), json.Number(b))
			if !ok || got != ra.Cmp(rb) {
				t.Fatalf("compareNumbers(%s, %s) = %d, %v; exact %d", a, b, got, ok, ra.Cmp(rb))
			}
		}
	}
}

// TestStateReusedUnderTwoNames: a definition built in code may add one
// *State under two names; its history events name the state entered.
func TestStateReusedUnderTwoNames(t *testing.T) {
	st := &State{Type: "Pass", End: true}
	var b1, b2, top StateMachine
	b1.StartAt, b2.StartAt, top.StartAt = "X", "Y", "P"
	b1.States.Add("X", st)
	b2.States.Add("Y", st)
	top.States.Add("P", &State{Type: "Parallel", Branches: []StateMachine{b1, b2}, End: true})
	x, err := Run(context.Background(), &top, map[string]any{}, EngineOptions{})
	if err != nil || x.Status != StatusSucceeded {
		t.Fatalf("run: %v %s %s", err, x.Status, x.Cause)
	}
	var got []string
	for _, h := range x.History() {
		if h.DetailsKey == "stateEnteredEventDetails" || h.DetailsKey == "stateExitedEventDetails" {
			got = append(got, h.Type+":"+h.Details["name"].(string))
		}
	}
	want := "ParallelStateEntered:P PassStateEntered:X PassStateExited:X PassStateEntered:Y PassStateExited:Y ParallelStateExited:P"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("events %s\nwant   %s", g, want)
	}
}

// TestStateSharedByTwoDefinitions: a definition built in code may add one
// *State to two state machines whose states of the same name differ; each
// execution moves to its own machine's state (the successor table a plan
// keeps belongs to one state list), first and later runs alike.
func TestStateSharedByTwoDefinitions(t *testing.T) {
	shared := &State{Type: "Pass", Next: "B"}
	var m1, m2 StateMachine
	m1.StartAt, m2.StartAt = "A", "A"
	m1.States.Add("A", shared)
	m2.States.Add("A", shared)
	m1.States.Add("B", &State{Type: "Pass", Result: "one", End: true})
	m2.States.Add("B", &State{Type: "Pass", Result: "two", End: true})
	for i := range 3 {
		for _, c := range []struct {
			sm   *StateMachine
			want string
		}{{&m1, "one"}, {&m2, "two"}} {
			x, err := Run(context.Background(), c.sm, map[string]any{}, EngineOptions{})
			if err != nil || x.Status != StatusSucceeded {
				t.Fatalf("run %d: %v %s %s", i, err, x.Status, x.Cause)
			}
			if x.Output != c.want {
				t.Errorf("run %d: output %v, want %q", i, x.Output, c.want)
			}
		}
	}
}

// TestVirtualClock stands still, only moves forward when set, and flows at
// its speed against the wall clock, keeping the speed across Set.
func TestVirtualClock(t *testing.T) {
	wall := t0.Add(1000 * time.Hour)
	c := NewVirtualClock(t0)
	c.wall = func() time.Time { return wall }
	check := func(step string, want time.Time) {
		t.Helper()
		if got := c.Now(); !got.Equal(want) {
			t.Fatalf("%s: Now = %v, want %v", step, got, want)
		}
	}
	check("start", t0)
	wall = wall.Add(time.Hour)
	check("stopped clock, wall moved", t0)
	c.Set(t0.Add(-time.Hour))
	check("set back", t0)
	c.Set(t0.Add(time.Minute))
	check("set forward", t0.Add(time.Minute))
	c.SetSpeed(60)
	wall = wall.Add(time.Second)
	check("speed 60, one wall second", t0.Add(2*time.Minute))
	c.Set(t0.Add(time.Hour))
	wall = wall.Add(time.Second)
	check("set while flowing keeps the speed", t0.Add(time.Hour+time.Minute))
	c.SetSpeed(0)
	wall = wall.Add(time.Hour)
	check("stopped again", t0.Add(time.Hour+time.Minute))
}

// TestEnginesShareDefinitionConcurrently runs one definition in many
// engines at once (plans, parsed paths and intrinsics are shared process
// wide); run with -race. Every execution must give the same output.
func TestEnginesShareDefinitionConcurrently(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"Get","States":{
		"Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"Key":{"pk":{"S.$":"States.Format('P#{}', $.k)"},"sk":{"S":"P"}}},
			"ResultSelector":{"view.$":"States.StringToJson($.Item.view.S)","at.$":"$$.Execution.StartTime"},"ResultPath":"$.p","Next":"W"},
		"W":{"Type":"Wait","Seconds":60,"Next":"C"},
		"C":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.p.view.n","NumericGreaterThan":1.5},{"Variable":"$.p.at","TimestampLessThanEquals":"2024-01-01T00:00:00Z"}],"Next":"Done"}],"Default":"Get"},
		"Done":{"Type":"Succeed"}}}`)
	res := ResolverFunc(func(_ context.Context, c TaskCall) (any, error) {
		return map[string]any{"Item": map[string]any{"view": map[string]any{"S": `{"n":2}`}}}, nil
	})
	const workers, runs = 8, 25
	outs := make(chan string, workers*runs)
	errs := make(chan error, workers*runs)
	for w := range workers {
		go func() {
			for i := range runs {
				x, err := Run(context.Background(), sm, map[string]any{"k": fmt.Sprint(w, i%2)}, EngineOptions{Resolver: res, Start: t0})
				if err != nil || x.Status != StatusSucceeded {
					errs <- fmt.Errorf("worker %d run %d: %v %v %s", w, i, err, x.Status, x.Cause)
					continue
				}
				s, err := encodeJSON(Plain(x.Output).(map[string]any)["p"])
				if err != nil {
					errs <- err
					continue
				}
				outs <- s
			}
		}()
	}
	for range workers * runs {
		select {
		case err := <-errs:
			t.Fatal(err)
		case got := <-outs:
			if got != `{"at":"2024-01-01T00:00:00.000Z","view":{"n":2}}` {
				t.Fatalf("output %s", got)
			}
		}
	}
}
