package asl

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func mustParse(t testing.TB, def string) *StateMachine {
	t.Helper()
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(sm); err != nil {
		t.Fatal(err)
	}
	return sm
}

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := ParseJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

func toJSON(t testing.TB, v any) string {
	t.Helper()
	s, err := encodeJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tasks maps state names to results (a JSON string) or errors.
type tasks map[string]any

func (ts tasks) resolver(t testing.TB) Resolver {
	return ResolverFunc(func(ctx context.Context, c TaskCall) (any, error) {
		switch r := ts[c.StateName].(type) {
		case string:
			return ParseJSON([]byte(r))
		case error:
			return nil, r
		case func(TaskCall) (any, error):
			return r(c)
		}
		t.Errorf("unexpected task %s", c.StateName)
		return nil, errors.New("unexpected task")
	})
}

func TestEngineRun(t *testing.T) {
	tests := []struct {
		name   string
		def    string
		input  string
		tasks  tasks
		status string
		output string // compact JSON, for SUCCEEDED
		err    string // error name, for FAILED / TIMED_OUT
		cause  string // substring of the cause
		states string // names entered, comma-separated
		took   time.Duration
	}{
		{
			name:   "pass result merged by ResultPath",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r.s","End":true}}}`,
			input:  `{"a":1}`,
			status: StatusSucceeded, output: `{"a":1,"r":{"s":{"x":1}}}`, states: "P",
		},
		{
			name:   "InputPath, Parameters with context, OutputPath",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.v","name.$":"$$.Execution.Name","state.$":"$$.State.Name","start.$":"$$.Execution.StartTime","lit":[1,{"k.$":"$.v"}]},"ResultPath":"$.out","OutputPath":"$.out","End":true}}}`,
			input:  `{"in":{"v":12345678901234567890}}`,
			status: StatusSucceeded, output: `{"lit":[1,{"k":12345678901234567890}],"name":"x","start":"2024-01-01T00:00:00.000Z","state":"P","v":12345678901234567890}`, states: "P",
		},
		{
			name:   "context fields read one at a time: StateMachine first, State fields, absent fields",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"asm.$":"$$.StateMachine.Name","asmid.$":"$$.StateMachine.Id","entered.$":"$$.State.EnteredTime","retry.$":"$$.State.RetryCount","in.$":"$$.Execution.Input.a","has.$":"States.Array($$.State.Name, $$.Execution.Name)"},"Next":"C"},"C":{"Type":"Choice","Choices":[{"Or":[{"Variable":"$$.State.Nope","IsPresent":true},{"Variable":"$$.Map.Item.Index","IsPresent":true},{"Variable":"$$.Nope","IsPresent":true},{"Variable":"$$.Execution.Input.a","IsPresent":false}],"Next":"Bad"}],"Default":"Done"},"Bad":{"Type":"Fail","Error":"Bad"},"Done":{"Type":"Succeed"}}}`,
			input:  `{"a":[1]}`,
			status: StatusSucceeded, output: `{"asm":"StateMachine","asmid":"arn:aws:states:local:000000000000:stateMachine:StateMachine","entered":"2024-01-01T00:00:00.000Z","has":["P","x"],"in":[1],"retry":0}`, states: "P,C,Done",
		},
		{
			name:   "a Parameters path that finds nothing fails the state with States.Runtime",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"lit":{"k":[1,2]},"v.$":"$.missing"},"End":true}}}`,
			input:  `{"a":1}`,
			status: StatusFailed, err: ErrRuntime, cause: "The JSONPath '$.missing' specified for the field 'v.$' could not be found in the input of the Parameters of state 'P'", states: "P",
		},
		{
			name:   "a ResultSelector path that finds nothing names ResultSelector",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","ResultSelector":{"deep":[{"v.$":"$.nope"}]},"End":true}}}`,
			input:  `{}`,
			tasks:  tasks{"P": `{"ok":true}`},
			status: StatusFailed, err: ErrRuntime, cause: "The JSONPath '$.nope' specified for the field 'v.$' could not be found in the input of the ResultSelector of state 'P'", states: "P",
		},
		{
			name: "template: a .$ key overrides the plain key of the same name; literal and evaluated fields mix past one map group",
			def: `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a":1,"a.$":"$.x","b":{"c":[1,2]},"d.$":"$.x","e":"e","f":"f","g":"g","h":"h","i":"i","j.$":"$$.State.Name"},"ResultPath":"$.p","Next":"Q"},
				"Q":{"Type":"Pass","Parameters":{"k":"lit","m":{"n.$":"$.x"}},"ResultPath":"$.q","End":true}}}`,
			input:  `{"x":"X"}`,
			status: StatusSucceeded, output: `{"p":{"a":"X","b":{"c":[1,2]},"d":"X","e":"e","f":"f","g":"g","h":"h","i":"i","j":"P"},"q":{"k":"lit","m":{"n":"X"}},"x":"X"}`, states: "P,Q",
		},
		{
			name:   "null paths",
			def:    `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"r","ResultPath":null,"Next":"B"},"B":{"Type":"Pass","InputPath":null,"Next":"C"},"C":{"Type":"Pass","OutputPath":null,"End":true}}}`,
			input:  `{"a":1}`,
			status: StatusSucceeded, output: `{}`, states: "A,B,C",
		},
		{
			name: "journey profile lookup: getItem with Format, ResultSelector with StringToJson",
			def: `{"StartAt":"Get","States":{"Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem",
				"Parameters":{"TableName":"t","Key":{"pk":{"S.$":"States.Format('PROFILE#{}', $.profile_key)"},"sk":{"S":"PROFILE"}}},
				"ResultSelector":{"view.$":"States.StringToJson($.Item.view.S)"},"ResultPath":"$.profile",
				"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Missing"}],"Next":"Done"},
				"Missing":{"Type":"Fail","Error":"NoProfile"},"Done":{"Type":"Succeed"}}}`,
			input: `{"profile_key":"abc"}`,
			tasks: tasks{"Get": func(c TaskCall) (any, error) {
				if got := toJSON(t, c.Input); got != `{"Key":{"pk":{"S":"PROFILE#abc"},"sk":{"S":"PROFILE"}},"TableName":"t"}` {
					t.Errorf("getItem input = %s", got)
				}
				return ParseJSON([]byte(`{"Item":{"view":{"S":"{\"email_ok\":true,\"orders\":3}"}}}`))
			}},
			status: StatusSucceeded, output: `{"profile":{"view":{"email_ok":true,"orders":3}},"profile_key":"abc"}`, states: "Get,Done",
		},
		{
			name: "catch without item: an intrinsic failing in ResultSelector is States.Runtime, not caught even by name",
			def: `{"StartAt":"Get","States":{"Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem",
				"ResultSelector":{"view.$":"States.StringToJson($.Item.view.S)"},
				"Catch":[{"ErrorEquals":["States.Runtime"],"ResultPath":"$.error","Next":"Done"},{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Done"}],"End":true},"Done":{"Type":"Succeed"}}}`,
			input:  `{}`,
			tasks:  tasks{"Get": `{}`},
			status: StatusFailed, err: ErrRuntime, cause: "States.StringToJson: the path $.Item.view.S in argument 1 does not exist in the input", states: "Get",
		},
		{
			name: "retry with backoff then success",
			def: `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f",
				"Retry":[{"ErrorEquals":["Throttled"],"IntervalSeconds":2,"BackoffRate":3}],"End":true}}}`,
			tasks: tasks{"L": func(c TaskCall) (any, error) {
				if c.Attempt < 2 {
					return nil, &Error{Name: "Throttled", Cause: "slow down"}
				}
				return map[string]any{"attempt": c.Attempt, "rc": c.ContextObject()["State"].(map[string]any)["RetryCount"]}, nil
			}},
			input:  `{}`,
			status: StatusSucceeded, output: `{"attempt":2,"rc":2}`, states: "L", took: 8 * time.Second,
		},
		{
			name: "retry capped by MaxDelaySeconds, exhausted, then caught",
			def: `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f",
				"Retry":[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":10,"MaxAttempts":3,"BackoffRate":10,"MaxDelaySeconds":60}],
				"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"F"}],"End":true},"F":{"Type":"Pass","End":true}}}`,
			tasks:  tasks{"L": errors.New("boom")},
			input:  `{"k":1}`,
			status: StatusSucceeded, output: `{"err":{"Cause":"boom","Error":"States.TaskFailed"},"k":1}`, states: "L,F", took: 130 * time.Second,
		},
		{
			name: "TaskFailed wildcard does not match States.Timeout",
			def: `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"r","TimeoutSeconds":5,
				"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"F"}],"End":true},"F":{"Type":"Pass","End":true}}}`,
			tasks: tasks{"L": func(c TaskCall) (any, error) {
				if c.Timeout != 5*time.Second {
					t.Errorf("timeout = %v", c.Timeout)
				}
				return nil, context.DeadlineExceeded
			}},
			input:  `{}`,
			status: StatusFailed, err: ErrTimeout, states: "L",
		},
		{
			name:   "States.ALL does not catch States.Runtime",
			def:    `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"r","InputPath":"$.missing","Catch":[{"ErrorEquals":["States.ALL"],"Next":"F"}],"End":true},"F":{"Type":"Pass","End":true}}}`,
			input:  `{}`,
			status: StatusFailed, err: ErrRuntime, cause: "Invalid path '$.missing'", states: "L",
		},
		{
			name:   "a Parameters path not found is States.Runtime (ParameterPathFailure is reserved)",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"$.nope"},"End":true}}}`,
			input:  `{}`,
			status: StatusFailed, err: ErrRuntime, cause: "The JSONPath '$.nope' specified for the field 'x.$' could not be found", states: "P",
		},
		{
			name:   "ResultPathMatchFailure",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"ResultPath":"$.a.b","End":true}}}`,
			input:  `{"a":"str"}`,
			status: StatusFailed, err: ErrResultPathMatchFailure, states: "P",
		},
		{
			name:   "a failing intrinsic is States.Runtime (IntrinsicFailure is reserved)",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"States.StringToJson($.s)"},"End":true}}}`,
			input:  `{"s":"{nope"}`,
			status: StatusFailed, err: ErrRuntime, states: "P",
		},
		{
			name: "choice: journey rules",
			def: `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
				{"And":[{"Variable":"$.profile","IsPresent":true},{"Variable":"$.profile.orders","NumericGreaterThan":2},
				        {"Not":{"Variable":"$.status","StringEquals":"unsubscribed"}}],"Next":"Vip"},
				{"Or":[{"Variable":"$.deadline","TimestampLessThanEqualsPath":"$$.Execution.StartTime"},{"Variable":"$.x","IsNull":true}],"Next":"Late"}],
				"Default":"Other"},"Vip":{"Type":"Succeed"},"Late":{"Type":"Succeed"},"Other":{"Type":"Succeed"}}}`,
			input:  `{"profile":{"orders":3},"status":"active"}`,
			status: StatusSucceeded, output: `{"profile":{"orders":3},"status":"active"}`, states: "C,Vip",
		},
		{
			name: "choice: timestamp against $$.State.EnteredTime after a wait",
			def: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"C"},"C":{"Type":"Choice","Choices":[
				{"Variable":"$.deadline","TimestampLessThanPath":"$$.State.EnteredTime","Next":"Late"}],"Default":"Other"},
				"Late":{"Type":"Succeed"},"Other":{"Type":"Succeed"}}}`,
			input:  `{"deadline":"2024-01-01T00:30:00Z"}`,
			status: StatusSucceeded, output: `{"deadline":"2024-01-01T00:30:00Z"}`, states: "W,C,Late", took: time.Hour,
		},
		{
			name:   "NoChoiceMatched",
			def:    `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
			input:  `{"n":"1"}`,
			status: StatusFailed, err: ErrNoChoiceMatched, states: "C",
		},
		{
			name:   "choice on a missing variable is States.Runtime",
			def:    `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
			input:  `{}`,
			status: StatusFailed, err: ErrRuntime, states: "C",
		},
		{
			name:   "choice: a *Path comparand of the wrong type is States.Runtime",
			def:    `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThanPath":"$.t","Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
			input:  `{"n":1,"t":"2"}`,
			status: StatusFailed, err: ErrRuntime, cause: "evaluated to string, but NumericLessThanPath needs a number", states: "C",
		},
		{
			name:   "choice: a Variable of the wrong type only fails to match",
			def:    `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","TimestampEqualsPath":"$.t","Next":"F"}],"Default":"S"},"F":{"Type":"Fail"},"S":{"Type":"Succeed"}}}`,
			input:  `{"n":"soon","t":"2024-01-01T00:00:00Z"}`,
			status: StatusSucceeded, output: `{"n":"soon","t":"2024-01-01T00:00:00Z"}`, states: "C,S",
		},
		{
			name:   "wait TimestampPath and SecondsPath",
			def:    `{"StartAt":"A","States":{"A":{"Type":"Wait","TimestampPath":"$.at","Next":"B"},"B":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`,
			input:  `{"at":"2024-01-02T00:00:00+01:00","s":60}`,
			status: StatusSucceeded, output: `{"at":"2024-01-02T00:00:00+01:00","s":60}`, states: "A,B", took: 23*time.Hour + time.Minute,
		},
		{
			name:   "wait in the past proceeds at once",
			def:    `{"StartAt":"A","States":{"A":{"Type":"Wait","Timestamp":"2020-01-01T00:00:00Z","End":true}}}`,
			input:  `{}`,
			status: StatusSucceeded, output: `{}`, states: "A",
		},
		{
			name: "parallel collects branch outputs with ResultSelector",
			def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
				{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":10,"Next":"A2"},"A2":{"Type":"Pass","Result":"a","End":true}}},
				{"StartAt":"B","States":{"B":{"Type":"Pass","Result":"b","End":true}}}],
				"ResultSelector":{"first.$":"$[0]","all.$":"$"},"ResultPath":"$.p","End":true}}}`,
			input:  `{}`,
			status: StatusSucceeded, output: `{"p":{"all":["a","b"],"first":"a"}}`, states: "P,A,B,A2", took: 10 * time.Second,
		},
		{
			name: "parallel branch failure is caught on the Parallel state",
			def: `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
				{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":10,"Next":"A2"},"A2":{"Type":"Pass","End":true}}},
				{"StartAt":"B","States":{"B":{"Type":"Fail","Error":"Bad","Cause":"b failed"}}}],
				"Catch":[{"ErrorEquals":["Bad"],"Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}`,
			input:  `{}`,
			status: StatusSucceeded, output: `{"Cause":"b failed","Error":"Bad"}`, states: "P,A,B,H",
		},
		{
			name: "map with ItemSelector, context item and MaxConcurrency",
			def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,
				"ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","k.$":"$.k"},
				"ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"Next":"X"},"X":{"Type":"Pass","End":true}}},
				"ResultPath":"$.out","End":true}}}`,
			input:  `{"items":["a","b"],"k":7}`,
			status: StatusSucceeded, output: `{"items":["a","b"],"k":7,"out":[{"i":0,"k":7,"v":"a"},{"i":1,"k":7,"v":"b"}]}`, states: "M,W,X,W,X", took: 10 * time.Second,
		},
		{
			name:   "map over a non-array is States.Runtime",
			def:    `{"StartAt":"M","States":{"M":{"Type":"Map","Iterator":{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},"End":true}}}`,
			input:  `{"a":1}`,
			status: StatusFailed, err: ErrRuntime, states: "M",
		},
		{
			name:   "fail with ErrorPath and CausePath",
			def:    `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('x{}', $.c)"}}}`,
			input:  `{"e":"E1","c":"y"}`,
			status: StatusFailed, err: "E1", cause: "xy", states: "F",
		},
		{
			name:   "fail with paths",
			def:    `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}`,
			input:  `{"e":"E1","c":"because"}`,
			status: StatusFailed, err: "E1", cause: "because", states: "F",
		},
		{
			name:   "execution TimeoutSeconds",
			def:    `{"TimeoutSeconds":60,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`,
			input:  `{}`,
			status: StatusTimedOut, err: ErrTimeout, states: "W", took: 60 * time.Second,
		},
		{
			name:   "MathRandom split is seeded and in range",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"r.$":"States.MathRandom(0, 100)","s.$":"States.MathRandom(0, 100, 42)"},"End":true}}}`,
			input:  `{}`,
			status: StatusSucceeded, output: "", states: "P",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := mustParse(t, tc.def)
			e := NewEngine(EngineOptions{Resolver: tc.tasks.resolver(t), Start: t0, Seed: 1})
			x, err := e.Start(context.Background(), sm, "x", mustJSON(t, tc.input))
			if err != nil {
				t.Fatal(err)
			}
			e.RunUntilIdle(context.Background())
			if x.Status != tc.status {
				t.Fatalf("status = %s (%s: %s), want %s", x.Status, x.Error, x.Cause, tc.status)
			}
			if tc.output != "" {
				if got := toJSON(t, x.Output); got != tc.output {
					t.Errorf("output = %s\nwant     %s", got, tc.output)
				}
			}
			if x.Error != tc.err {
				t.Errorf("error = %q (%s), want %q", x.Error, x.Cause, tc.err)
			}
			if !strings.Contains(x.Cause, tc.cause) {
				t.Errorf("cause = %q, want it to contain %q", x.Cause, tc.cause)
			}
			if got := strings.Join(x.StateNames(), ","); got != tc.states {
				t.Errorf("states = %s, want %s", got, tc.states)
			}
			if got := x.StopTime.Sub(x.StartTime); got != tc.took {
				t.Errorf("took %v of virtual time, want %v", got, tc.took)
			}
		})
	}
}

func TestMathRandomSeeded(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"r.$":"States.MathRandom(0, 100)","u.$":"States.UUID()"},"End":true}}}`
	run := func(seed int64) string {
		x, err := Run(context.Background(), mustParse(t, def), map[string]any{}, EngineOptions{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return toJSON(t, x.Output)
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Errorf("same seed, different outputs: %s vs %s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same output %s", a)
	}
}

func TestRetryJitterFull(t *testing.T) {
	def := `{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"r","Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":100,"MaxAttempts":1,"JitterStrategy":"FULL"}],"End":true}}}`
	took := func(seed int64) time.Duration {
		calls := 0
		res := ResolverFunc(func(ctx context.Context, c TaskCall) (any, error) {
			calls++
			if calls == 1 {
				return nil, errors.New("once")
			}
			return "ok", nil
		})
		x, err := Run(context.Background(), mustParse(t, def), nil, EngineOptions{Seed: seed, Resolver: res})
		if err != nil || x.Status != StatusSucceeded {
			t.Fatalf("%v %+v", err, x)
		}
		return x.StopTime.Sub(x.StartTime)
	}
	a, b := took(7), took(7)
	if a != b || a <= 0 || a > 100*time.Second {
		t.Fatalf("jittered delay %v, %v: want equal and in (0, 100s]", a, b)
	}
	if c := took(8); c == a {
		t.Fatalf("seeds 7 and 8 gave the same jitter %v", a)
	}
}

func TestStartNameSemantics(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`)
	e := NewEngine(EngineOptions{})
	ctx := context.Background()
	a, err := e.Start(ctx, sm, "n", mustJSON(t, `{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Start(ctx, sm, "n", mustJSON(t, `{"a":1.0}`))
	if err != nil || b != a {
		t.Fatalf("same name and input: got %v, %v", b, err)
	}
	_, err = e.Start(ctx, sm, "n", mustJSON(t, `{"a":2}`))
	var ae *Error
	if !errors.As(err, &ae) || ae.Name != ErrExecutionAlreadyExists {
		t.Fatalf("different input: err = %v", err)
	}
	if err := e.Stop("n", "Bye", "stopped by test"); err != nil {
		t.Fatal(err)
	}
	if a.Status != StatusAborted || a.Error != "Bye" {
		t.Fatalf("after Stop: %s %s", a.Status, a.Error)
	}
	e.RunUntilIdle(ctx)
	if a.Status != StatusAborted {
		t.Fatalf("aborted execution resumed: %s", a.Status)
	}
	if err := e.Stop("nope", "", ""); err == nil || err.Error() != `ExecutionDoesNotExist: execution "nope" does not exist` {
		t.Fatalf("Stop unknown: %v", err)
	}
}

func TestMaxTransitions(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`)
	x, err := Run(context.Background(), sm, nil, EngineOptions{MaxTransitions: 100})
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusFailed || x.Error != ErrRuntime || x.Cause != "the execution entered more than 100 states" || x.Transitions() != 101 {
		t.Fatalf("%s %s %q %d", x.Status, x.Error, x.Cause, x.Transitions())
	}
}

func TestAdvanceStepsVirtualTime(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"T"},"T":{"Type":"Task","Resource":"r","End":true}}}`)
	var calledAt time.Time
	var e *Engine
	e = NewEngine(EngineOptions{Start: t0, Resolver: ResolverFunc(func(ctx context.Context, c TaskCall) (any, error) {
		calledAt = e.Now()
		return c.Input, nil
	})})
	ctx := context.Background()
	x, err := e.Start(ctx, sm, "", map[string]any{"k": 1})
	if err != nil {
		t.Fatal(err)
	}
	e.Advance(ctx, 59*time.Minute)
	if x.Status != StatusRunning || !e.Now().Equal(t0.Add(59*time.Minute)) {
		t.Fatalf("after 59m: %s at %v", x.Status, e.Now())
	}
	e.Advance(ctx, 2*time.Minute)
	if x.Status != StatusSucceeded || !calledAt.Equal(t0.Add(time.Hour)) || !e.Now().Equal(t0.Add(61*time.Minute)) {
		t.Fatalf("after 61m: %s, task at %v, now %v", x.Status, calledAt, e.Now())
	}
	h := x.History()
	var types []string
	for _, ev := range h {
		types = append(types, ev.Type)
	}
	want := "ExecutionStarted,WaitStateEntered,WaitStateExited,TaskStateEntered,TaskScheduled,TaskStarted,TaskSucceeded,TaskStateExited,ExecutionSucceeded"
	if got := strings.Join(types, ","); got != want {
		t.Fatalf("history = %s\nwant      %s", got, want)
	}
	b, err := json.Marshal(h[4])
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"id":5,"previousEventId":4,"taskScheduledEventDetails":{"parameters":"{\"k\":1}","region":"local","resource":"r","resourceType":""},"timestamp":"2024-01-01T01:00:00Z","type":"TaskScheduled"}` {
		t.Fatalf("event JSON = %s", got)
	}
}

func TestWaitOverrides(t *testing.T) {
	sm := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":86400,"End":true}}}`)
	x, err := Run(context.Background(), sm, nil, EngineOptions{WaitOverrides: map[string]time.Duration{"W": 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if got := x.StopTime.Sub(x.StartTime); got != 5*time.Millisecond {
		t.Fatalf("took %v", got)
	}
}
