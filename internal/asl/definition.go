// Package asl holds the Amazon States Language: the definition types shared by
// the journey compiler (which writes them) and the engine (which runs them).
//
// The types follow the AWS States Language specification for the JSONPath
// query language. Field order in the structs is the order in which they are
// written, so compiled definitions read naturally in the Step Functions
// console; States keeps the order in which states were added.
package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unsafe"
)

// StateMachine is a whole definition.
type StateMachine struct {
	Comment        string `json:"Comment,omitempty"`
	QueryLanguage  string `json:"QueryLanguage,omitempty"`
	StartAt        string `json:"StartAt"`
	TimeoutSeconds *int   `json:"TimeoutSeconds,omitempty"`
	Version        string `json:"Version,omitempty"`
	States         States `json:"States"`

	// historyHint is the eventHint the machine's last ended execution left
	// (history.go), read and written atomically by every engine running
	// it: the next execution sizes its history's first chunks from it. A
	// plain uint32 rather than an atomic.Uint32, which may not be copied:
	// a StateMachine is copied by value (a Parallel state's Branches).
	historyHint uint32
}

// States is an ordered map of state name to state. It marshals in insertion
// order and unmarshals in document order.
type States struct {
	names  []string
	byName map[string]*State
}

// Add appends a state. Adding a name twice replaces the state in place.
func (s *States) Add(name string, st *State) {
	if s.byName == nil {
		s.byName = map[string]*State{}
	}
	if _, ok := s.byName[name]; !ok {
		s.names = append(s.names, name)
	}
	s.byName[name] = st
}

// Get returns the named state, or nil.
func (s *States) Get(name string) *State { return s.byName[name] }

// Names returns the state names in order.
func (s *States) Names() []string { return append([]string(nil), s.names...) }

// Len is the number of states.
func (s *States) Len() int { return len(s.names) }

// MarshalJSON writes the states in insertion order.
func (s States) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range s.names {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeString(&b, n); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s.byName[n]); err != nil {
			return nil, fmt.Errorf("state %q: %w", n, err)
		}
		b.Truncate(b.Len() - 1) // Encode's newline
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the states keeping document order.
func (s *States) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("States must be an object")
	}
	*s = States{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name := tok.(string)
		var st State
		if err := dec.Decode(&st); err != nil {
			return fmt.Errorf("state %q: %w", name, err)
		}
		if s.byName != nil && s.byName[name] != nil {
			return fmt.Errorf("state %q is defined twice", name)
		}
		s.Add(name, &st)
	}
	_, err = dec.Token()
	return err
}

// State is any state. Type selects which fields apply.
type State struct {
	Type    string `json:"Type"`
	Comment string `json:"Comment,omitempty"`

	// Task
	Resource string `json:"Resource,omitempty"`

	// Choice
	Choices []ChoiceRule `json:"Choices,omitempty"`
	Default string       `json:"Default,omitempty"`

	// Wait
	Seconds       *int64 `json:"Seconds,omitempty"`
	SecondsPath   string `json:"SecondsPath,omitempty"`
	Timestamp     string `json:"Timestamp,omitempty"`
	TimestampPath string `json:"TimestampPath,omitempty"`

	// Input and output processing. Parameters, ItemSelector and
	// ResultSelector are payload templates (keys ending in ".$" are paths or
	// intrinsic functions); Result is a Pass state's literal result.
	InputPath      *string `json:"InputPath,omitempty"`
	Parameters     any     `json:"Parameters,omitempty"`
	Result         any     `json:"Result,omitempty"`
	resultSet      bool    // Result was given, possibly as null
	ResultSelector any     `json:"ResultSelector,omitempty"`
	ResultPath     *string `json:"ResultPath,omitempty"`
	OutputPath     *string `json:"OutputPath,omitempty"`

	// Task timeouts
	TimeoutSeconds       *int   `json:"TimeoutSeconds,omitempty"`
	TimeoutSecondsPath   string `json:"TimeoutSecondsPath,omitempty"`
	HeartbeatSeconds     *int   `json:"HeartbeatSeconds,omitempty"`
	HeartbeatSecondsPath string `json:"HeartbeatSecondsPath,omitempty"`

	// Parallel
	Branches []StateMachine `json:"Branches,omitempty"`

	// Map
	ItemsPath      string        `json:"ItemsPath,omitempty"`
	ItemSelector   any           `json:"ItemSelector,omitempty"`
	ItemProcessor  *StateMachine `json:"ItemProcessor,omitempty"`
	Iterator       *StateMachine `json:"Iterator,omitempty"`
	MaxConcurrency *int          `json:"MaxConcurrency,omitempty"`

	// Fail
	Error     string `json:"Error,omitempty"`
	ErrorPath string `json:"ErrorPath,omitempty"`
	Cause     string `json:"Cause,omitempty"`
	CausePath string `json:"CausePath,omitempty"`

	Retry []Retrier `json:"Retry,omitempty"`
	Catch []Catcher `json:"Catch,omitempty"`

	// Transitions
	Next string `json:"Next,omitempty"`
	End  bool   `json:"End,omitempty"`

	// plan is the state's *statePlan once built (planOf), read and set
	// atomically: read on every entry into the state, without the hashing
	// a map lookup by *State costs. An unsafe.Pointer rather than an
	// atomic.Pointer, which may not be copied: a State is copied by value
	// (MarshalJSON), and a copy may share the plan, being the same state.
	plan unsafe.Pointer
}

// Retrier is one element of a Retry field.
type Retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds *int     `json:"IntervalSeconds,omitempty"`
	MaxAttempts     *int     `json:"MaxAttempts,omitempty"`
	BackoffRate     *float64 `json:"BackoffRate,omitempty"`
	MaxDelaySeconds *int     `json:"MaxDelaySeconds,omitempty"`
	JitterStrategy  string   `json:"JitterStrategy,omitempty"`
}

// Catcher is one element of a Catch field.
type Catcher struct {
	ErrorEquals []string `json:"ErrorEquals"`
	ResultPath  *string  `json:"ResultPath,omitempty"`
	Next        string   `json:"Next"`
}

// ChoiceRule is a top-level choice rule (with Next) or a nested boolean
// expression (without Next). Exactly one comparison operator, or one of
// And/Or/Not, is set.
type ChoiceRule struct {
	Variable string `json:"Variable,omitempty"`

	And []ChoiceRule `json:"And,omitempty"`
	Or  []ChoiceRule `json:"Or,omitempty"`
	Not *ChoiceRule  `json:"Not,omitempty"`

	StringEquals                   *string      `json:"StringEquals,omitempty"`
	StringEqualsPath               string       `json:"StringEqualsPath,omitempty"`
	StringLessThan                 *string      `json:"StringLessThan,omitempty"`
	StringLessThanPath             string       `json:"StringLessThanPath,omitempty"`
	StringGreaterThan              *string      `json:"StringGreaterThan,omitempty"`
	StringGreaterThanPath          string       `json:"StringGreaterThanPath,omitempty"`
	StringLessThanEquals           *string      `json:"StringLessThanEquals,omitempty"`
	StringLessThanEqualsPath       string       `json:"StringLessThanEqualsPath,omitempty"`
	StringGreaterThanEquals        *string      `json:"StringGreaterThanEquals,omitempty"`
	StringGreaterThanEqualsPath    string       `json:"StringGreaterThanEqualsPath,omitempty"`
	StringMatches                  *string      `json:"StringMatches,omitempty"`
	NumericEquals                  *json.Number `json:"NumericEquals,omitempty"`
	NumericEqualsPath              string       `json:"NumericEqualsPath,omitempty"`
	NumericLessThan                *json.Number `json:"NumericLessThan,omitempty"`
	NumericLessThanPath            string       `json:"NumericLessThanPath,omitempty"`
	NumericGreaterThan             *json.Number `json:"NumericGreaterThan,omitempty"`
	NumericGreaterThanPath         string       `json:"NumericGreaterThanPath,omitempty"`
	NumericLessThanEquals          *json.Number `json:"NumericLessThanEquals,omitempty"`
	NumericLessThanEqualsPath      string       `json:"NumericLessThanEqualsPath,omitempty"`
	NumericGreaterThanEquals       *json.Number `json:"NumericGreaterThanEquals,omitempty"`
	NumericGreaterThanEqualsPath   string       `json:"NumericGreaterThanEqualsPath,omitempty"`
	BooleanEquals                  *bool        `json:"BooleanEquals,omitempty"`
	BooleanEqualsPath              string       `json:"BooleanEqualsPath,omitempty"`
	TimestampEquals                *string      `json:"TimestampEquals,omitempty"`
	TimestampEqualsPath            string       `json:"TimestampEqualsPath,omitempty"`
	TimestampLessThan              *string      `json:"TimestampLessThan,omitempty"`
	TimestampLessThanPath          string       `json:"TimestampLessThanPath,omitempty"`
	TimestampGreaterThan           *string      `json:"TimestampGreaterThan,omitempty"`
	TimestampGreaterThanPath       string       `json:"TimestampGreaterThanPath,omitempty"`
	TimestampLessThanEquals        *string      `json:"TimestampLessThanEquals,omitempty"`
	TimestampLessThanEqualsPath    string       `json:"TimestampLessThanEqualsPath,omitempty"`
	TimestampGreaterThanEquals     *string      `json:"TimestampGreaterThanEquals,omitempty"`
	TimestampGreaterThanEqualsPath string       `json:"TimestampGreaterThanEqualsPath,omitempty"`
	IsNull                         *bool        `json:"IsNull,omitempty"`
	IsPresent                      *bool        `json:"IsPresent,omitempty"`
	IsNumeric                      *bool        `json:"IsNumeric,omitempty"`
	IsString                       *bool        `json:"IsString,omitempty"`
	IsBoolean                      *bool        `json:"IsBoolean,omitempty"`
	IsTimestamp                    *bool        `json:"IsTimestamp,omitempty"`

	Comment string `json:"Comment,omitempty"`
	Next    string `json:"Next,omitempty"`
}

// Parse reads a definition. It checks JSON shape only; Validate checks the
// rules of the language.
func Parse(data []byte) (*StateMachine, error) {
	var sm StateMachine
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&sm); err != nil {
		return nil, fmt.Errorf("parse definition: %w", err)
	}
	return &sm, nil
}

// Marshal writes a definition the way parcours commits it: 2-space indent,
// fields in struct order, states in insertion order, trailing newline, and
// no HTML escaping (so "<" and "&" stay readable).
func Marshal(sm *StateMachine) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sm); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(b.Bytes()), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func writeString(b *bytes.Buffer, v string) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1)
	return nil
}

// nullPath is the value a path field holds when the definition sets it to
// JSON null ("InputPath": null, "ResultPath": null, "OutputPath": null),
// which the language distinguishes from an absent field.
const nullPath = "\x00null"

// NullPath returns a path that marshals as JSON null: an InputPath or
// OutputPath of null gives the state {} ; a ResultPath of null discards the
// result and passes the state's input through.
func NullPath() *string { s := nullPath; return &s }

// IsNullPath reports whether p is an explicit JSON null.
func IsNullPath(p *string) bool { return p != nil && *p == nullPath }

var nullPathJSON = []byte(`"\u0000null"`)

// UnmarshalJSON decodes a state, keeping explicit nulls of InputPath,
// OutputPath and ResultPath (as NullPath) and whether Result was given.
func (s *State) UnmarshalJSON(data []byte) error {
	type plain State
	var p plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return err
	}
	isNull := func(k string) bool {
		v, ok := keys[k]
		return ok && string(bytes.TrimSpace(v)) == "null"
	}
	if isNull("InputPath") {
		p.InputPath = NullPath()
	}
	if isNull("OutputPath") {
		p.OutputPath = NullPath()
	}
	if isNull("ResultPath") {
		p.ResultPath = NullPath()
	}
	_, p.resultSet = keys["Result"]
	*s = State(p)
	return nil
}

// MarshalJSON encodes a state, writing NullPath fields as null.
func (s State) MarshalJSON() ([]byte, error) {
	type plain State
	return marshalNullPaths(plain(s))
}

// UnmarshalJSON decodes a catcher, keeping an explicit "ResultPath": null.
func (c *Catcher) UnmarshalJSON(data []byte) error {
	type plain Catcher
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return err
	}
	if v, ok := keys["ResultPath"]; ok && string(bytes.TrimSpace(v)) == "null" {
		p.ResultPath = NullPath()
	}
	*c = Catcher(p)
	return nil
}

// MarshalJSON encodes a catcher, writing a NullPath ResultPath as null.
func (c Catcher) MarshalJSON() ([]byte, error) {
	type plain Catcher
	return marshalNullPaths(plain(c))
}

func marshalNullPaths(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(bytes.TrimSuffix(b.Bytes(), []byte("\n")), nullPathJSON, []byte("null")), nil
}
