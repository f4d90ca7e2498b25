package journey

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/journey/contract"
)

// Edge is one transition of a compiled state machine.
type Edge struct {
	From, To string
	Label    string
	Kind     string // "next", "choice", "default", "catch"
}

// Edges lists the transitions of sm in state order.
func Edges(sm *asl.StateMachine) []Edge {
	var out []Edge
	for _, n := range sm.States.Names() {
		st := sm.States.Get(n)
		for _, r := range st.Choices {
			out = append(out, Edge{n, r.Next, r.Comment, "choice"})
		}
		if st.Default != "" {
			out = append(out, Edge{n, st.Default, "otherwise", "default"})
		}
		if st.Next != "" {
			out = append(out, Edge{n, st.Next, "", "next"})
		}
		for _, ct := range st.Catch {
			out = append(out, Edge{n, ct.Next, strings.Join(ct.ErrorEquals, ", "), "catch"})
		}
	}
	return out
}

// Stats is what one execution of a journey costs on its longest normal path
// (no deferral, no retry, no failure): state transitions are what AWS bills.
type Stats struct {
	States      int // states in the definition
	Transitions int // state transitions on the longest path
	Emails      int // send steps on that path
	// MaxHistoryEvents bounds the execution's history events with every
	// Retry exhausted and every send deferred contract.MaxDeferrals times.
	MaxHistoryEvents int
	LongestWait      time.Duration // sum of the waits on the path with the most waiting
}

// PerEmail is transitions per email on the longest path.
func (s Stats) PerEmail() float64 {
	if s.Emails == 0 {
		return 0
	}
	return float64(s.Transitions) / float64(s.Emails)
}

func (s Stats) String() string {
	return fmt.Sprintf("%d states; longest path %d transitions for %d emails (%.1f per email); at most %d history events; at most %s of waiting",
		s.States, s.Transitions, s.Emails, s.PerEmail(), s.MaxHistoryEvents, formatDuration(s.LongestWait))
}

// Measure computes the stats of a compiled journey.
func Measure(sm *asl.StateMachine) Stats {
	type best struct {
		transitions, emails, events int
		wait                        time.Duration
	}
	memo := map[string]*best{}
	var visit func(n string) best
	visit = func(n string) best {
		if b, ok := memo[n]; ok {
			return *b
		}
		st := sm.States.Get(n)
		self := best{transitions: 1, events: historyEvents(sm, n)}
		if isSendTask(st) {
			self.emails = 1
			self.events += contract.MaxDeferrals * loopEvents(sm, n)
		}
		if st.Type == "Wait" && st.Seconds != nil {
			self.wait = time.Duration(*st.Seconds) * time.Second
		}
		// A send carries the wait after it (next_wait_seconds: the Wait
		// takes its resume_at); wait {until} is at most a day.
		if p := payload(st); p != nil && isSendTask(st) {
			self.wait = time.Duration(intValue(p["next_wait_seconds"])) * time.Second
		} else if p != nil && p["action"] == contract.ActionResolveWait {
			self.wait = 24 * time.Hour
		}
		var next best
		for _, e := range Edges(sm) {
			if e.From != n || e.Kind == "catch" || strings.HasPrefix(e.Label, deferredPrefix) {
				continue
			}
			b := visit(e.To)
			if b.transitions > next.transitions {
				next.transitions, next.emails = b.transitions, b.emails
			}
			next.events = max(next.events, b.events)
			next.wait = max(next.wait, b.wait)
		}
		b := best{self.transitions + next.transitions, self.emails + next.emails, self.events + next.events, self.wait + next.wait}
		memo[n] = &b
		return b
	}
	b := visit(sm.StartAt)
	return Stats{States: sm.States.Len(), Transitions: b.transitions, Emails: b.emails, MaxHistoryEvents: b.events + 2, LongestWait: b.wait}
}

// historyEvents is the most history events one visit of a state records:
// entered + exited, plus scheduled/started/result per task attempt.
func historyEvents(sm *asl.StateMachine, n string) int {
	st := sm.States.Get(n)
	ev := 2
	if st.Type == "Task" {
		attempts := 1
		for _, r := range st.Retry {
			if r.MaxAttempts != nil {
				attempts += *r.MaxAttempts
			} else {
				attempts += 3
			}
		}
		ev += 3 * attempts
	}
	return ev
}

// isSendTask says whether st is a send step's Task (not a resolve_wait).
func isSendTask(st *asl.State) bool {
	if st.Type != "Task" || st.Resource != ResourceInvoke {
		return false
	}
	_, action := payload(st)["action"]
	return !action
}

// payload is the Payload of a lambda:invoke Task, else nil.
func payload(st *asl.State) map[string]any {
	if st.Type != "Task" || st.Resource != ResourceInvoke {
		return nil
	}
	params, _ := st.Parameters.(map[string]any)
	p, _ := params["Payload"].(map[string]any)
	return p
}

func intValue(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// loopEvents is the history of one deferral of the send state send: the
// most events on a path from it back to it (through the Wait for its
// resume_at or not_before, the re-read and the exit check), the send
// again included. Paths through another send are not its loop.
func loopEvents(sm *asl.StateMachine, send string) int {
	edges := Edges(sm)
	best := 0
	seen := map[string]bool{send: true}
	var dfs func(n string, acc int)
	dfs = func(n string, acc int) {
		for _, e := range edges {
			if e.From != n || e.Kind == "catch" {
				continue
			}
			if e.To == send {
				best = max(best, acc+historyEvents(sm, send))
				continue
			}
			st := sm.States.Get(e.To)
			if st == nil || seen[e.To] || isSendTask(st) {
				continue
			}
			seen[e.To] = true
			dfs(e.To, acc+historyEvents(sm, e.To))
			delete(seen, e.To)
		}
	}
	dfs(send, 0)
	return best
}

// check reports what only the compiled machine shows: state names too long,
// too much waiting, too many history events.
func (p *parser) check(stepsLine, stepsCol int) {
	sm, origin, err := compile(p.j)
	if err != nil {
		p.r.atLC(stepsLine, stepsCol, "", "compile: %v", err)
		return
	}
	reported := map[*Step]bool{}
	for _, n := range sm.States.Names() {
		if len(n) > MaxStateName && !reported[origin[n]] {
			reported[origin[n]] = true
			line, col := stepsLine, stepsCol
			if s := origin[n]; s != nil {
				line, col = s.Line, s.Col
			}
			p.r.atLC(line, col, "shorten the step id, exit name or if name it comes from", "state name %q is %d characters; Step Functions allows %d", n, len(n), MaxStateName)
		}
	}
	st := Measure(sm)
	if st.LongestWait > 365*24*time.Hour {
		p.r.atLC(stepsLine, stepsCol, "a STANDARD execution lasts at most one year; shorten the waits or split the journey", "the waits on the longest path add up to %s, over one year", formatDuration(st.LongestWait))
	}
	if st.MaxHistoryEvents > MaxHistoryEvents {
		p.r.atLC(stepsLine, stepsCol, fmt.Sprintf("an execution's history holds at most %d events; split the journey into two", MaxHistoryEvents), "an execution could record %d history events (with retries and %d deferrals per send)", st.MaxHistoryEvents, contract.MaxDeferrals)
	}
}
