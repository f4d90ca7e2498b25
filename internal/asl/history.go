package asl

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
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
	l := &x.events
	if ev.name == "" && endsExecution(ev.eventKind) { // state events have a name
		x.StateMachine.setEventHint(hintOf(l, ev.at))
	}
	// l.add(ev), its common case by hand, and with the machine's hint.
	if len(l.cur) < cap(l.cur) {
		i := len(l.cur)
		l.cur = l.cur[:i+1]
		l.cur[i] = ev
		l.n++
		return
	}
	l.grow(x.StateMachine.eventHint())
	l.cur = append(l.cur, ev)
	l.n++
}

// eventLog is an execution's events in chunks: appending never copies
// earlier events, and a short history (a parked execution's) stays small.
// Without a hint the chunks hold 8, 16, 32, 64, 128, then 256 events; with
// one, the first two are sized from the machine's last execution (grow).
type eventLog struct {
	cur  []event   // the chunk being filled (the last)
	full [][]event // the chunks before it, full
	n    int
}

const (
	firstEventChunk = 8
	maxEventChunk   = 256
)

// eventHint is what the last ended execution of a machine recorded: how
// many events in all, and how many before its clock first moved on (by
// more than hintWait), both at most maxEventChunk, in one value that a
// StateMachine's engines read and write atomically.
//
// An execution's first chunk holds as many events as the last one
// recorded before it first waited, and its second brings the room to as
// many as the last one recorded in all. Executions of one machine mostly
// record as many events each (the compiled welcome journey 90), so one
// that runs through, as the benchmarks run them (their waits last 0s),
// allocates its history once, 3,072 bytes for room for 95 events, where
// chunks of 8, 16, 32 and 64 events took five allocations (with the list
// of full chunks) and 4,320 bytes; one that waits allocates twice, the
// first chunk just big enough for what it records before it parks, so a
// parked execution holds no more than without a hint (the welcome journey
// records 14 events before its first Wait, the other compiled journeys 2).
// Sized from the total instead, the first chunk made each of 100,000
// executions parked after 4 events retain 3,967 bytes rather than 1,151
// once one execution of their machine (94 events) had ended, where
// TestParkedExecutionsMemory's budget is 2,048.
//
// When lengths vary, a longer execution than the last continues as
// without a hint once it has the room the hint gave (grow), so it has room
// for at most 8 events more than without one, in no more chunks; a
// shorter one allocates room for what the last one needed, at most 256
// events (8 KB), and sets the hint for the next.
type eventHint uint32 // total | before<<16

// hintWait is how far an execution's clock must move on from its start
// for the events after to count as recorded after a wait. A clock that
// stands still (the engine's own) moves only to a timer; one that flows
// moves between any two events, but by far less in one run of the engine
// (a Wait or a retry interval is a second or more).
const hintWait = int64(time.Second)

// hintOf returns the hint an execution leaves whose last event, at, is
// about to be recorded in l (which holds its first, ExecutionStarted).
func hintOf(l *eventLog, at int64) eventHint {
	total := min(l.n+1, maxEventChunk)
	limit := l.first().at + hintWait
	if at <= limit {
		// It never waited: events' times do not go back (a flowing
		// clock changed meanwhile may step back a little; a hint is only
		// a hint).
		return eventHint(total | total<<16)
	}
	before := 0
	for _, c := range l.full {
		if c[len(c)-1].at > limit {
			return eventHint(total | min(before+firstAfter(c, limit), total)<<16)
		}
		before += len(c)
	}
	return eventHint(total | min(before+firstAfter(l.cur, limit), total)<<16)
}

// firstAfter returns the index of the first event of c after limit, or
// len(c).
func firstAfter(c []event, limit int64) int {
	return sort.Search(len(c), func(i int) bool { return c[i].at > limit })
}

func (h eventHint) total() int  { return int(h & 0xffff) }
func (h eventHint) before() int { return int(h >> 16) }

// endsExecution reports whether an event of kind k is an execution's last.
func endsExecution(k *eventKind) bool {
	return k == kindExecutionSucceeded || k == kindExecutionFailed || k == kindExecutionTimedOut || k == kindExecutionAborted
}

// eventHint returns the hint the machine's last ended execution left.
func (sm *StateMachine) eventHint() eventHint {
	return eventHint(atomic.LoadUint32(&sm.historyHint))
}

// setEventHint stores a hint. It stores only a change: engines on many
// goroutines running one machine would otherwise write its cache line at
// every execution's end.
func (sm *StateMachine) setEventHint(h eventHint) {
	if atomic.LoadUint32(&sm.historyHint) != uint32(h) {
		atomic.StoreUint32(&sm.historyHint, uint32(h))
	}
}

// eventChunk returns an empty chunk with room for at least n events: as
// many as the allocation's size class holds (90 events get 95: 2,880
// bytes and the 8-byte header of a heap object with pointers fill 3,040 of
// the 3,072 allocated anyway), but at most maxEventChunk.
func eventChunk(n int) []event {
	if n >= maxEventChunk {
		// Rounded, 256 events would get 295 (9,472 bytes).
		return make([]event, 0, maxEventChunk)
	}
	return slices.Grow([]event(nil), n)
}

// first returns the log's first event (the log is not empty).
func (l *eventLog) first() *event {
	if l.full != nil {
		return &l.full[0][0]
	}
	return &l.cur[0]
}

// add appends an event, without a hint.
func (l *eventLog) add(ev event) {
	i := len(l.cur)
	if i == cap(l.cur) {
		l.grow(0)
		i = 0
	}
	l.cur = l.cur[:i+1]
	l.cur[i] = ev
	l.n++
}

// grow starts a new chunk, the current one (if any) being full. The first
// holds h.before() events (at least firstEventChunk); the next brings the
// room to h.total() events, if that is more; past that, chunks bring the room
// to the next of 8, 24, 56, 120, 248 events (each twice the one before,
// plus 8), then add maxEventChunk: without a hint, chunks of 8, 16, 32,
// 64, 128 and 256 events. A chunk holds at least firstEventChunk events.
func (l *eventLog) grow(h eventHint) {
	if l.cur == nil {
		l.cur = eventChunk(max(h.before(), firstEventChunk))
		return
	}
	if l.full == nil {
		// Room for the chunks of 8, 16, 32 and 64 events at once:
		// a history of up to 248 events grows this once.
		l.full = make([][]event, 0, 4)
	}
	l.full = append(l.full, l.cur)
	room := firstEventChunk
	for room <= l.n {
		room = 2*room + firstEventChunk
	}
	if want := h.total(); want > room {
		l.cur = eventChunk(want - l.n)
		return
	}
	l.cur = make([]event, 0, min(max(room-l.n, firstEventChunk), maxEventChunk))
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
