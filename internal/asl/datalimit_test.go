package asl

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestDataLimitExceeded covers where the engine raises
// States.DataLimitExceeded and who may handle it: a task's result is a task
// failure (Retry, Catch by name or States.ALL), a state's output or input
// after Parameters/ItemSelector ends the execution whatever Retry and Catch
// say. Every case also checks the history events and the task calls.
func TestDataLimitExceeded(t *testing.T) {
	const limit = MaxPayloadBytes
	big := func(n int) string { return strings.Repeat("a", n) }
	// {"s":"…"} is 8 bytes around the string.
	fill := map[string]any{"s": big(limit - 8)}
	tooBig := map[string]any{"s": big(limit - 7)}
	resultCause := func(name string) string {
		return fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", name)
	}
	tests := []struct {
		name    string
		def     string
		input   any
		result  func(call TaskCall) (any, error)
		status  string
		output  string // compact JSON, for SUCCEEDED
		err     string
		cause   string // the exact cause, for FAILED
		calls   int    // task invocations
		history string // event types, comma-separated
	}{
		{
			name:    "pass output at the limit",
			def:     `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"s.$":"$.s"},"End":true}}}`,
			input:   fill,
			status:  StatusSucceeded,
			history: "ExecutionStarted,PassStateEntered,PassStateExited,ExecutionSucceeded",
		},
		{
			name:   "pass Result one byte over ends the execution without exiting the state",
			def:    `{"StartAt":"State_1","States":{"State_1":{"Type":"Pass","Result":{"s":"` + big(limit-7) + `"},"End":true}}}`,
			input:  map[string]any{},
			status: StatusFailed, err: ErrDataLimitExceeded, cause: resultCause("State_1"),
			history: "ExecutionStarted,PassStateEntered,ExecutionFailed",
		},
		{
			name:   "two-byte characters count two bytes",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"s.$":"$.s"},"ResultPath":"$.copy","OutputPath":"$.copy","End":true}}}`,
			input:  map[string]any{"s": strings.Repeat("é", (limit-8)/2) + "a"},
			status: StatusFailed, err: ErrDataLimitExceeded,
			cause:   "The state/task 'P' was given an input after Parameters with a size exceeding the maximum number of bytes service limit.",
			history: "ExecutionStarted,PassStateEntered,ExecutionFailed",
		},
		{
			name: "task result over the limit is caught by name",
			def: `{"StartAt":"Invoke","States":{"Invoke":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
				"Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"Next":"Handle"},{"ErrorEquals":["States.ALL"],"Next":"Other"}],"Next":"Other"},
				"Handle":{"Type":"Pass","End":true},"Other":{"Type":"Fail","Error":"Wrong"}}}`,
			input:   map[string]any{},
			result:  func(TaskCall) (any, error) { return tooBig, nil },
			status:  StatusSucceeded,
			output:  `{"Cause":"` + resultCause("lambda") + `","Error":"States.DataLimitExceeded"}`,
			calls:   1,
			history: "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskFailed,TaskStateExited,PassStateEntered,PassStateExited,ExecutionSucceeded",
		},
		{
			name: "task result over the limit is caught by States.ALL, as AWS does",
			def: `{"StartAt":"Get","States":{"Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"t"},
				"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Handle"}],"End":true},"Handle":{"Type":"Succeed"}}}`,
			input:   map[string]any{"k": "v"},
			result:  func(TaskCall) (any, error) { return tooBig, nil },
			status:  StatusSucceeded,
			output:  `{"error":{"Cause":"` + resultCause("dynamodb") + `","Error":"States.DataLimitExceeded"},"k":"v"}`,
			calls:   1,
			history: "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskFailed,TaskStateExited,SucceedStateEntered,SucceedStateExited,ExecutionSucceeded",
		},
		{
			name: "task result over the limit is retried, then fails the execution",
			def: `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:lambda:eu-west-1:123456789012:function:work",
				"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":1,"IntervalSeconds":1}],"End":true}}}`,
			input:  map[string]any{},
			result: func(TaskCall) (any, error) { return tooBig, nil },
			status: StatusFailed, err: ErrDataLimitExceeded, cause: resultCause("arn:aws:lambda:eu-west-1:123456789012:function:work"),
			calls:   2,
			history: "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskFailed,TaskScheduled,TaskStarted,TaskFailed,ExecutionFailed",
		},
		{
			name:   "task result at the limit succeeds",
			def:    `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`,
			input:  map[string]any{},
			result: func(TaskCall) (any, error) { return fill, nil },
			status: StatusSucceeded, calls: 1,
			history: "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSucceeded,TaskStateExited,ExecutionSucceeded",
		},
		{
			name: "input after Parameters over the limit is not caught, not retried, not scheduled",
			def: `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"a.$":"$.s","b.$":"$.s"},
				"Retry":[{"ErrorEquals":["States.ALL"]}],
				"Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"Next":"Handle"},{"ErrorEquals":["States.ALL"],"Next":"Handle"}],"End":true},
				"Handle":{"Type":"Succeed"}}}`,
			input:  map[string]any{"s": big(limit / 2)},
			status: StatusFailed, err: ErrDataLimitExceeded,
			cause:   "The state/task 'Call' was given an input after Parameters with a size exceeding the maximum number of bytes service limit.",
			history: "ExecutionStarted,TaskStateEntered,ExecutionFailed",
		},
		{
			name: "output over the limit after ResultPath is not caught",
			def: `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.r",
				"Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"Next":"Handle"},{"ErrorEquals":["States.ALL"],"Next":"Handle"}],"End":true},
				"Handle":{"Type":"Succeed"}}}`,
			input:  map[string]any{"s": big(limit - 100)},
			result: func(TaskCall) (any, error) { return map[string]any{"x": big(200)}, nil },
			status: StatusFailed, err: ErrDataLimitExceeded, cause: resultCause("Call"),
			calls:   1,
			history: "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSucceeded,ExecutionFailed",
		},
		{
			name: "a catcher's output over the limit ends the execution",
			def: `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":null,
				"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Handle"}],"End":true},
				"Handle":{"Type":"Succeed"}}}`,
			input:  map[string]any{"s": big(limit - 100)},
			result: func(TaskCall) (any, error) { return nil, &Error{Name: "Boom", Cause: big(200)} },
			status: StatusFailed, err: ErrDataLimitExceeded, cause: resultCause("Call"),
			calls:   1,
			history: "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskFailed,ExecutionFailed",
		},
		{
			name: "a Map iteration's input after ItemSelector over the limit is not caught",
			def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"s.$":"$.s","i.$":"$$.Map.Item.Value"},
				"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},
				"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handle"}],"End":true},"Handle":{"Type":"Succeed"}}}`,
			input:  map[string]any{"s": big(limit - 20), "items": []any{"a", "bbbbbbbbbbbbbbbb"}},
			status: StatusFailed, err: ErrDataLimitExceeded,
			cause:   "The state/task 'M' was given an input after ItemSelector with a size exceeding the maximum number of bytes service limit.",
			history: "ExecutionStarted,MapStateEntered,ExecutionFailed",
		},
		{
			name: "a Map state's results over the limit end the execution",
			def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
				"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","Parameters":{"s.$":"$$.Execution.Input.s"},"End":true}}},
				"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handle"}],"ResultPath":"$.r","End":true},"Handle":{"Type":"Succeed"}}}`,
			input:  map[string]any{"s": big(limit / 5), "items": []any{1, 2, 3, 4}},
			status: StatusFailed, err: ErrDataLimitExceeded, cause: resultCause("M"),
			history: "ExecutionStarted,MapStateEntered,MapStateStarted," +
				"MapIterationStarted,MapIterationStarted,MapIterationStarted,MapIterationStarted," +
				"PassStateEntered,PassStateExited,MapIterationSucceeded,PassStateEntered,PassStateExited,MapIterationSucceeded," +
				"PassStateEntered,PassStateExited,MapIterationSucceeded,PassStateEntered,PassStateExited,MapIterationSucceeded," +
				"MapStateSucceeded,ExecutionFailed",
		},
		{
			name: "a Parallel branch's state output over the limit is not caught by the Parallel state",
			def: `{"StartAt":"Par","States":{"Par":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Parameters":{"a.$":"$.s"},"ResultPath":"$.copy","End":true}}}],
				"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handle"}],"End":true},"Handle":{"Type":"Succeed"}}}`,
			input:  map[string]any{"s": big(limit / 2)},
			status: StatusFailed, err: ErrDataLimitExceeded, cause: resultCause("B"),
			history: "ExecutionStarted,ParallelStateEntered,ParallelStateStarted,PassStateEntered,ParallelStateFailed,ExecutionFailed",
		},
		{
			name: "States.Format growing a string in a loop",
			def: `{"StartAt":"Double","States":{
				"Double":{"Type":"Pass","Parameters":{"s.$":"States.Format('{}{}', $.s, $.s)","n.$":"States.MathAdd($.n, 1)"},"Next":"More"},
				"More":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":20,"Next":"Double"}],"Default":"Done"},
				"Done":{"Type":"Succeed"}}}`,
			input:  map[string]any{"s": "a", "n": 0},
			status: StatusFailed, err: ErrDataLimitExceeded,
			// 2^18 characters: {"s":"…","n":18} is 262,159 bytes.
			cause:   "The state/task 'Double' was given an input after Parameters with a size exceeding the maximum number of bytes service limit.",
			history: "ExecutionStarted," + strings.Repeat("PassStateEntered,PassStateExited,ChoiceStateEntered,ChoiceStateExited,", 17) + "PassStateEntered,ExecutionFailed",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			VerifyBounds(t)
			calls := 0
			res := ResolverFunc(func(_ context.Context, c TaskCall) (any, error) {
				calls++
				if tc.result == nil {
					t.Errorf("unexpected task call %s", c.StateName)
					return nil, nil
				}
				return tc.result(c)
			})
			sm := mustParse(t, tc.def)
			e := NewEngine(EngineOptions{Resolver: res, Start: t0, Seed: 1})
			in, err := Normalize(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			x, err := e.Start(context.Background(), sm, "x", in)
			if err != nil {
				t.Fatal(err)
			}
			e.RunUntilIdle(context.Background())
			if x.Status != tc.status {
				t.Fatalf("status = %s (%s: %.200s), want %s", x.Status, x.Error, x.Cause, tc.status)
			}
			if x.Error != tc.err || (tc.status == StatusFailed && x.Cause != tc.cause) {
				t.Errorf("error = %q, cause %q\nwant    %q, cause %q", x.Error, x.Cause, tc.err, tc.cause)
			}
			if tc.output != "" {
				if got := toJSON(t, x.Output); got != tc.output {
					t.Errorf("output = %.300s\nwant     %.300s", got, tc.output)
				}
			}
			if calls != tc.calls {
				t.Errorf("%d task calls, want %d", calls, tc.calls)
			}
			var types []string
			for _, h := range x.History() {
				types = append(types, h.Type)
			}
			if got := strings.Join(types, ","); got != tc.history {
				t.Errorf("history = %s\nwant      %s", got, tc.history)
			}
		})
	}
}
