package asl

import "testing"

func TestValidate(t *testing.T) {
	tests := []struct{ name, def, err string }{
		{"ok", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, ""},
		{"missing StartAt state", `{"StartAt":"X","States":{"A":{"Type":"Pass","End":true}}}`,
			`invalid definition: StartAt "X" is not a state`},
		{"empty states", `{"StartAt":"X","States":{}}`, `invalid definition: States must not be empty`},
		{"next missing", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, `invalid definition: state "A": Next "B" is not a state`},
		{"no transition", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r"}}}`, `invalid definition: state "A": needs Next or "End": true`},
		{"both", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}}`, `invalid definition: state "A": has both Next and End`},
		{"bad type", `{"StartAt":"A","States":{"A":{"Type":"Sleep"}}}`, `invalid definition: state "A": Type "Sleep" is not a state type`},
		{"succeed with next", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Next":"A"}}}`, `invalid definition: state "A": a Succeed state must not have Next or End`},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, `invalid definition: state "B": is not reachable from StartAt`},
		{"States.ALL not alone", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","Catch":[{"ErrorEquals":["States.ALL","X"],"Next":"A"}],"End":true}}}`,
			`invalid definition: state "A" Catch[0]: States.ALL must appear alone in ErrorEquals`},
		{"States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}}`,
			`invalid definition: state "A" Retry[0]: the States.ALL retrier or catcher must be the last one`},
		{"retry fields", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","Retry":[{"ErrorEquals":[],"IntervalSeconds":0,"BackoffRate":0.5,"JitterStrategy":"SOME"}],"End":true}}}`,
			`invalid definition: state "A" Retry[0]: ErrorEquals must not be empty; state "A" Retry[0]: IntervalSeconds must be at least 1; state "A" Retry[0]: BackoffRate must be at least 1.0; state "A" Retry[0]: JitterStrategy must be FULL or NONE, not "SOME"`},
		{"retry on pass", `{"StartAt":"A","States":{"A":{"Type":"Pass","Retry":[{"ErrorEquals":["X"]}],"End":true}}}`,
			`invalid definition: state "A": only Task, Parallel and Map states have Retry and Catch`},
		{"choice two operators", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"x","IsPresent":true,"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
			`invalid definition: state "C" Choices[0]: needs exactly one comparison operator or one of And, Or, Not (found 2)`},
		{"choice nested next", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsNull":true,"Next":"S"},"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
			`invalid definition: state "C" Choices[0] Not: a nested rule must not have Next`},
		{"choice bad timestamp", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","TimestampEquals":"2024-01-01","Next":"S"}]},"S":{"Type":"Succeed"}}}`,
			`invalid definition: state "C" Choices[0]: TimestampEquals "2024-01-01" is not an RFC 3339 timestamp`},
		{"choice no variable", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"StringEquals":"x","Next":"S"}],"Default":"D"},"S":{"Type":"Succeed"}}}`,
			`invalid definition: state "C" Choices[0]: Variable is missing; state "C": Default "D" is not a state`},
		{"wait two fields", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`,
			`invalid definition: state "W": needs exactly one of Seconds, SecondsPath, Timestamp and TimestampPath`},
		{"bad paths", `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"x","ResultPath":"$.a[*]","Parameters":{"a.$":"States.Nope()"},"End":true}}}`,
			`invalid definition: state "P": InputPath: invalid path "x": must start with '$'; state "P": ResultPath "$.a[*]" must be a reference path (names and single indexes only); state "P": Parameters field "a.$": invalid intrinsic function "States.Nope()": unknown function "States.Nope"`},
		{"parallel branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Out"}}}],"Next":"Out"},"Out":{"Type":"Succeed"}}}`,
			`invalid definition: state "P" branch 0: state "A": Next "Out" is not a state`},
		{"map without processor", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true}}}`, `invalid definition: state "M": needs ItemProcessor (or Iterator)`},
		{"task timeout", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r","TimeoutSeconds":0,"End":true}}}`, `invalid definition: state "T": TimeoutSeconds must be a positive integer`},
		{"query language", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, `invalid definition: QueryLanguage "JSONata" is not supported (only JSONPath)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm, err := Parse([]byte(tc.def))
			if err != nil {
				t.Fatal(err)
			}
			err = Validate(sm)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.err {
				t.Fatalf("got  %s\nwant %s", got, tc.err)
			}
		})
	}
}

func TestNullPathRoundTrip(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","InputPath":null,"ResultPath":null,"OutputPath":"$.x","Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":null,"Next":"A"}],"End":true}}}`
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	st := sm.States.Get("A")
	if !IsNullPath(st.InputPath) || !IsNullPath(st.ResultPath) || IsNullPath(st.OutputPath) || !IsNullPath(st.Catch[0].ResultPath) {
		t.Fatalf("nulls not kept: %+v", st)
	}
	b, err := Marshal(sm)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "StartAt": "A",
  "States": {
    "A": {
      "Type": "Task",
      "Resource": "r",
      "InputPath": null,
      "ResultPath": null,
      "OutputPath": "$.x",
      "Catch": [
        {
          "ErrorEquals": [
            "States.ALL"
          ],
          "ResultPath": null,
          "Next": "A"
        }
      ],
      "End": true
    }
  }
}
`
	if string(b) != want {
		t.Fatalf("got\n%s", b)
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		op      string
		v, want string
		result  bool
	}{
		{"StringEquals", `"a"`, `"a"`, true},
		{"StringEquals", `1`, `"1"`, false},
		{"StringLessThan", `"a"`, `"b"`, true},
		{"StringGreaterThanEquals", `"b"`, `"b"`, true},
		{"StringMatches", `"log-2024.txt"`, `"log-*.txt"`, true},
		{"StringMatches", `"a*b"`, `"a\\*b"`, true},
		{"StringMatches", `"axb"`, `"a\\*b"`, false},
		{"StringMatches", `"abc"`, `"*"`, true},
		{"StringMatches", `""`, `"*x*"`, false},
		{"NumericEquals", `1`, `1.0`, true},
		{"NumericEquals", `12345678901234567890`, `12345678901234567891`, false},
		{"NumericEquals", `"1"`, `1`, false},
		{"NumericLessThan", `1.5`, `2`, true},
		{"NumericGreaterThan", `3`, `2`, true},
		{"NumericLessThanEquals", `2`, `2`, true},
		{"NumericGreaterThanEquals", `1`, `2`, false},
		{"BooleanEquals", `true`, `true`, true},
		{"BooleanEquals", `"true"`, `true`, false},
		{"TimestampEquals", `"2024-01-01T01:00:00+01:00"`, `"2024-01-01T00:00:00Z"`, true},
		{"TimestampLessThan", `"2024-01-01T00:00:00Z"`, `"2024-01-01T00:00:00.5Z"`, true},
		{"TimestampGreaterThan", `"2024-01-01"`, `"2023-01-01T00:00:00Z"`, false},
		{"TimestampLessThanEquals", `"2024-01-01T00:00:00z"`, `"2025-01-01T00:00:00Z"`, false},
		{"TimestampGreaterThanEquals", `"2024-01-01T00:00:00Z"`, `"2024-01-01T00:00:00Z"`, true},
		{"IsNull", `null`, `true`, true},
		{"IsNull", `0`, `false`, true},
		{"IsNumeric", `1.5`, `true`, true},
		{"IsNumeric", `"1.5"`, `true`, false},
		{"IsString", `"x"`, `true`, true},
		{"IsBoolean", `false`, `true`, true},
		{"IsTimestamp", `"2024-01-01T00:00:00Z"`, `true`, true},
		{"IsTimestamp", `"yesterday"`, `false`, true},
	}
	for _, tc := range tests {
		t.Run(tc.op+" "+tc.v+" "+tc.want, func(t *testing.T) {
			if got := compare(tc.op, mustJSON(t, tc.v), mustJSON(t, tc.want)); got != tc.result {
				t.Fatalf("got %v", got)
			}
		})
	}
}
