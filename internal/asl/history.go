package asl

import (
	"encoding/json"
	"strings"
	"time"
)

// event is the compact record behind a HistoryEvent (32 bytes). Values are
// shared, not copied (the engine never mutates a value), and JSON text is
// only built when History is called.
type event struct {
	// eventKind is the type, the state name and a Task's resource.
	*eventKind
	at int64 // Unix nanoseconds
	// val is the event's one JSON value: the input of ExecutionStarted,
	// *StateEntered and TaskScheduled (its parameters), the output of
	// *StateExited, TaskSucceeded and ExecutionSucceeded. The events that
	// carry an error (ExecutionFailed, ExecutionTimedOut, ExecutionAborted,
	// TaskFailed, TaskTimedOut) or a Map's index or length hold an
	// *eventExtra there instead: none of them has a JSON value, and an
	// *eventExtra is never one.
	val any
}

// eventExtra holds the fields few events have, out of line to keep the
// common event small (100,000 parked executions hold several each).
type eventExtra struct {
	errName string
	cause   string
	index   int
	length  int
}

// extra returns the event's *eventExtra, or a zero one (not to be
// changed).
func (ev *event) extra() *eventExtra {
	if x, ok := ev.val.(*eventExtra); ok && x != nil {
		return x
	}
	return &noExtra
}

var noExtra eventExtra

// HistoryEvent is one event in the shape of GetExecutionHistory: id,
// previousEventId, timestamp, type, and a details object under the key the
// API uses for that type (e.g. "stateEnteredEventDetails").
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	Type            string
	DetailsKey      string
	Details         map[string]any
}

// MarshalJSON writes the event as GetExecutionHistory does.
func (h HistoryEvent) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"id":              h.ID,
		"previousEventId": h.PreviousEventID,
		"timestamp":       h.Timestamp.UTC().Format(time.RFC3339Nano),
		"type":            h.Type,
	}
	if h.DetailsKey != "" {
		m[h.DetailsKey] = h.Details
	}
	return json.Marshal(m)
}

// StateEntry is one visit of a state: when it was entered and exited, with
// its input and output. ExitedAt is zero while the state runs (or when it
// failed).
type StateEntry struct {
	Name      string
	Type      string
	EnteredAt time.Time
	ExitedAt  time.Time
	Input     any
	Output    any
}

func (e *Engine) record(x *Execution, ev event) {
	if e.opts.NoHistory {
		return
	}
	// The time in nanoseconds: a VirtualClock standing still is read
	// without the interface call and time.Time copy (a flowing one, and
	// any other Clock, in full).
	if c := e.vclock; c != nil {
		if s := c.state.Load(); s.speed == 0 {
			ev.at = s.ns
		} else {
			ev.at = e.readNano()
		}
	} else {
		ev.at = e.readNano()
	}
	// x.events.add(ev), its common case by hand.
	if l := &x.events; len(l.cur) < cap(l.cur) {
		i := len(l.cur)
		l.cur = l.cur[:i+1]
		l.cur[i] = ev
		l.n++
		return
	}
	x.events.add(ev)
}

// eventLog is an execution's events in chunks of growing size (8, 16, 32, …
// up to 256): appending never copies earlier events, and a short history
// (a parked execution's) stays small.
type eventLog struct {
	cur  []event   // the chunk being filled (the last)
	full [][]event // the chunks before it, full
	n    int
}

const (
	firstEventChunk = 8
	maxEventChunk   = 256
)

func (l *eventLog) add(ev event) {
	i := len(l.cur)
	if i == cap(l.cur) {
		l.grow()
		i = 0
	}
	l.cur = l.cur[:i+1]
	l.cur[i] = ev
	l.n++
}

// grow starts a new chunk, the current one being full.
func (l *eventLog) grow() {
	size := firstEventChunk
	if l.cur != nil {
		size = min(2*cap(l.cur), maxEventChunk)
		if l.full == nil {
			// Room for the chunks of 8, 16, 32 and 64 events at once:
			// a history of up to 248 events grows this once.
			l.full = make([][]event, 0, 4)
		}
		l.full = append(l.full, l.cur)
	}
	l.cur = make([]event, 0, size)
}

// all yields the events in order.
func (l *eventLog) all(yield func(int, *event) bool) {
	i := 0
	for _, c := range l.full {
		for j := range c {
			if !yield(i, &c[j]) {
				return
			}
			i++
		}
	}
	for j := range l.cur {
		if !yield(i, &l.cur[j]) {
			return
		}
		i++
	}
}

// History returns the execution's events. It takes the engine's lock.
func (x *Execution) History() []HistoryEvent {
	if x.engine != nil {
		x.engine.mu.Lock()
		defer x.engine.mu.Unlock()
	}
	out := make([]HistoryEvent, x.events.n)
	for i, evp := range x.events.all {
		ev := evp
		h := HistoryEvent{ID: int64(i + 1), PreviousEventID: int64(i), Timestamp: time.Unix(0, ev.at).UTC(), Type: ev.typ}
		x := ev.extra()
		d := map[string]any{}
		str := func(v any) string {
			s, err := encodeJSON(v)
			if err != nil {
				return "null"
			}
			return s
		}
		switch {
		case ev.typ == "ExecutionStarted":
			h.DetailsKey = "executionStartedEventDetails"
			d["input"] = str(ev.val)
			d["roleArn"] = "arn:aws:iam::000000000000:role/parcours-local"
		case ev.typ == "ExecutionSucceeded":
			h.DetailsKey = "executionSucceededEventDetails"
			d["output"] = str(ev.val)
		case ev.typ == "ExecutionFailed":
			h.DetailsKey = "executionFailedEventDetails"
			d["error"], d["cause"] = x.errName, x.cause
		case ev.typ == "ExecutionTimedOut":
			h.DetailsKey = "executionTimedOutEventDetails"
			d["error"], d["cause"] = x.errName, x.cause
		case ev.typ == "ExecutionAborted":
			h.DetailsKey = "executionAbortedEventDetails"
			d["error"], d["cause"] = x.errName, x.cause
		case strings.HasSuffix(ev.typ, "StateEntered"):
			h.DetailsKey = "stateEnteredEventDetails"
			d["name"] = ev.name
			d["input"] = str(ev.val)
		case strings.HasSuffix(ev.typ, "StateExited"):
			h.DetailsKey = "stateExitedEventDetails"
			d["name"] = ev.name
			d["output"] = str(ev.val)
		case ev.typ == "TaskScheduled":
			h.DetailsKey = "taskScheduledEventDetails"
			d["resourceType"], d["resource"], d["region"] = ev.resType, ev.res, "local"
			d["parameters"] = str(ev.val)
		case ev.typ == "TaskStarted":
			h.DetailsKey = "taskStartedEventDetails"
			d["resourceType"], d["resource"] = ev.resType, ev.res
		case ev.typ == "TaskSucceeded":
			h.DetailsKey = "taskSucceededEventDetails"
			d["resourceType"], d["resource"] = ev.resType, ev.res
			d["output"] = str(ev.val)
		case ev.typ == "TaskFailed":
			h.DetailsKey = "taskFailedEventDetails"
			d["resourceType"], d["resource"] = ev.resType, ev.res
			d["error"], d["cause"] = x.errName, x.cause
		case ev.typ == "TaskTimedOut":
			h.DetailsKey = "taskTimedOutEventDetails"
			d["resourceType"], d["resource"] = ev.resType, ev.res
			d["error"], d["cause"] = x.errName, x.cause
		case ev.typ == "MapStateStarted":
			h.DetailsKey = "mapStateStartedEventDetails"
			d["length"] = x.length
		case strings.HasPrefix(ev.typ, "MapIteration"):
			h.DetailsKey = lowerFirst(ev.typ) + "EventDetails"
			d["name"] = ev.name
			d["index"] = x.index
		default:
			d = nil
		}
		h.Details = d
		out[i] = h
	}
	return out
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// States returns the states entered, in order, with their inputs and
// outputs (states of Parallel branches and Map iterations included), as
// Plain values (objects as map[string]any).
func (x *Execution) States() []StateEntry {
	st := x.states()
	for i := range st {
		st[i].Input, st[i].Output = Plain(st[i].Input), Plain(st[i].Output)
	}
	return st
}

// states is States with the values as the engine holds them.
func (x *Execution) states() []StateEntry {
	if x.engine != nil {
		x.engine.mu.Lock()
		defer x.engine.mu.Unlock()
	}
	var out []StateEntry
	open := map[string][]int{} // state name → indexes of entries not exited yet
	for _, ev := range x.events.all {
		switch {
		case strings.HasSuffix(ev.typ, "StateEntered"):
			open[ev.name] = append(open[ev.name], len(out))
			out = append(out, StateEntry{Name: ev.name, Type: strings.TrimSuffix(ev.typ, "StateEntered"), EnteredAt: time.Unix(0, ev.at).UTC(), Input: ev.val})
		case strings.HasSuffix(ev.typ, "StateExited"):
			if idx := open[ev.name]; len(idx) > 0 {
				i := idx[0]
				open[ev.name] = idx[1:]
				out[i].ExitedAt = time.Unix(0, ev.at).UTC()
				out[i].Output = ev.val
			}
		}
	}
	return out
}

// StateNames returns the names of the states entered, in order.
func (x *Execution) StateNames() []string {
	st := x.states()
	names := make([]string, len(st))
	for i, s := range st {
		names[i] = s.Name
	}
	return names
}
