package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parcours/parcours/internal/devstack"
	"github.com/parcours/parcours/internal/profile"
)

// Options configures a run.
type Options struct {
	// Dir is the repository root (template.yaml, statemachines/,
	// journeys/, events/demo/).
	Dir string
	// Addr is the loopback address of the dev stack; empty picks a free
	// port.
	Addr string
	// Log receives the stack's JSON log lines; nil discards them.
	Log io.Writer
	// Story is the story to play; nil means Default.
	Story *Story
}

// Entry is one line of the timeline.
type Entry struct {
	At    time.Time `json:"at"`
	Email string    `json:"email"`
	// Kind is webhook, started, wait, sent, skipped, deferred, exited,
	// completed, failed or not_started.
	Kind    string `json:"kind"`
	Journey string `json:"journey,omitempty"`
	Text    string `json:"text"`
	order   int    // ties at one instant: deliveries, then journeys in order
}

// Result is a played story. Its Stack is still running: the caller
// closes it (the browser test and --keep look at it first).
type Result struct {
	Stack    *devstack.Stack
	Start    time.Time
	Timeline []Entry
	Outbox   []devstack.Email
	// Problems say how the story went other than scripted; empty when it
	// went as scripted.
	Problems []string
}

// Run starts a dev stack with a stopped clock at the story's first beat,
// posts each beat's fixture to its webhook route over HTTP at its time
// (moving the clock at most a day at a time, so waits fire day by day),
// moves the clock on to the story's end, and checks the outcome.
func Run(ctx context.Context, opt Options) (*Result, error) {
	story := opt.Story
	if story == nil {
		story = &Default
	}
	fixtures := make([]Fixture, len(story.Beats))
	for i, b := range story.Beats {
		f, err := LoadFixture(opt.Dir, b.Fixture)
		if err != nil {
			return nil, err
		}
		if i > 0 && f.At.Before(fixtures[i-1].At) {
			return nil, fmt.Errorf("demo: beat %s at %s comes before the beat it follows", b.Fixture, f.At.Format(time.RFC3339))
		}
		fixtures[i] = f
	}
	if len(fixtures) == 0 {
		return nil, fmt.Errorf("demo: the story has no beats")
	}
	logs := &logTap{next: opt.Log}
	s, err := devstack.Start(ctx, devstack.Config{Dir: opt.Dir, Addr: opt.Addr, Start: fixtures[0].At, Log: logs, Seed: devstack.FixedSeed})
	if err != nil {
		return nil, err
	}
	res := &Result{Stack: s, Start: fixtures[0].At}
	hashes := map[string]string{}
	for _, f := range fixtures {
		hashes[profile.AddressHash(normalize(f.Email))] = normalize(f.Email)
	}
	for i, f := range fixtures {
		advanceTo(s, f.At)
		logs.take() // lines up to here belong to earlier beats
		code, body, err := post(ctx, s.URL(), f)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("demo: post %s: %w", f.Name, err)
		}
		res.Timeline = append(res.Timeline, Entry{At: s.Now(), Email: normalize(f.Email), Kind: "webhook", order: 0,
			Text: fmt.Sprintf("webhook %s → %d %s: %s", f.Type, code, webhookStatus(body), story.Beats[i].Note)})
		if code != http.StatusOK {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: webhook answered %d %s", f.Name, code, strings.TrimSpace(body)))
		}
		s.Sync()
		res.Timeline = append(res.Timeline, routerNotes(logs.take(), hashes, s.Now())...)
	}
	advanceTo(s, story.End)
	res.Outbox = s.Outbox()
	res.Timeline = append(res.Timeline, journeyEntries(s, res.Outbox)...)
	sort.SliceStable(res.Timeline, func(i, j int) bool {
		a, b := res.Timeline[i], res.Timeline[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.order < b.order
	})
	res.Problems = append(res.Problems, check(s, story, res.Outbox)...)
	return res, nil
}

// advanceTo moves the clock to t, at most 24 hours at a time.
func advanceTo(s *devstack.Stack, t time.Time) {
	for now := s.Now(); now.Before(t); now = s.Now() {
		s.Advance(min(24*time.Hour, t.Sub(now)))
	}
}

func post(ctx context.Context, base string, f Fixture) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+f.Request.RawPath, strings.NewReader(f.Request.Body))
	if err != nil {
		return 0, "", err
	}
	for k, v := range f.Request.Headers {
		if k != "content-length" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b), err
}

// webhookStatus is the ingest answer's status ("stored", "duplicate"…).
func webhookStatus(body string) string {
	var v struct {
		Status string `json:"status"`
	}
	if json.Unmarshal([]byte(body), &v) == nil && v.Status != "" {
		return v.Status
	}
	return strings.TrimSpace(body)
}

func normalize(email string) string { return profile.NormalizeEmail(email) }

// routerNotes turns the router's log lines about journeys it did not start
// into timeline entries.
func routerNotes(lines [][]byte, hashes map[string]string, at time.Time) []Entry {
	var out []Entry
	for _, l := range lines {
		var v struct {
			Msg     string `json:"msg"`
			Journey string `json:"journey"`
			Profile string `json:"profile"`
			ReEntry string `json:"re_entry"`
		}
		if json.Unmarshal(l, &v) != nil || !strings.HasPrefix(v.Msg, "router: ") || strings.Contains(v.Msg, "journey started") {
			continue
		}
		why := strings.TrimPrefix(v.Msg, "router: ")
		if v.ReEntry != "" {
			why += " (re_entry: " + v.ReEntry + ")"
		}
		out = append(out, Entry{At: at, Email: hashes[v.Profile], Kind: "not_started", Journey: v.Journey, order: 1,
			Text: fmt.Sprintf("%s not started: %s", v.Journey, why)})
	}
	return out
}

// journeyEntries reads every execution's states: started, each wait, each
// send's answer, the exit or the end.
func journeyEntries(s *devstack.Stack, outbox []devstack.Email) []Entry {
	subject := map[string]string{}
	for _, m := range outbox {
		if len(m.To) > 0 {
			subject[m.To[0]+"/"+m.Journey+"/"+m.Step] = m.Subject
		}
	}
	var out []Entry
	for n, x := range s.Executions("", "") {
		order := 2 + n*1000
		d, ok := s.ExecutionDetail(x.Name)
		if !ok {
			continue
		}
		j := x.Journey
		add := func(at time.Time, kind, text string) {
			order++
			out = append(out, Entry{At: at, Email: x.Profile, Kind: kind, Journey: j, Text: j + " · " + text, order: order})
		}
		add(x.StartedAt, "started", "journey started")
		for i, st := range d.States {
			switch {
			case st.Type == "Wait":
				if st.ExitedAt.IsZero() {
					add(st.EnteredAt, "wait", "waits (still waiting when the story ends)")
				} else {
					add(st.EnteredAt, "wait", "waits until "+st.ExitedAt.Format("Mon 2 Jan 15:04"))
				}
			case strings.HasPrefix(st.Name, "Exit: "):
				add(st.EnteredAt, "exited", "exits: "+strings.TrimPrefix(st.Name, "Exit: "))
			case st.Type == "Fail":
				add(st.EnteredAt, "failed", "fails in "+st.Name)
			case st.Type == "Task":
				if step, reply, ok := sendReply(st); ok {
					switch reply.Status {
					case "sent":
						add(st.EnteredAt, "sent", fmt.Sprintf("email %s sent: %q", step, subject[x.Profile+"/"+j+"/"+step]))
					case "deferred":
						nb := reply.NotBefore
						if t, err := time.Parse(time.RFC3339, nb); err == nil {
							nb = t.Format("Mon 2 Jan 15:04")
						}
						add(st.EnteredAt, "deferred", fmt.Sprintf("email %s deferred (%s) until %s", step, reply.Reason, nb))
					default:
						add(st.EnteredAt, reply.Status, fmt.Sprintf("email %s %s (%s)", step, reply.Status, reply.Reason))
					}
				}
			}
			if i == len(d.States)-1 && x.Status == "SUCCEEDED" && !strings.HasPrefix(st.Name, "Exit: ") {
				add(st.EnteredAt, "completed", "journey completed")
			}
		}
	}
	return out
}

type reply struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	NotBefore string `json:"not_before"`
}

// sendReply reads the send function's answer from a Task state: the state
// that changed $.send. step comes from $.send.step when the compiler puts
// it there, else from the state's name ("Send <step>").
func sendReply(st devstack.StateVisit) (string, reply, bool) {
	in, _ := st.Input.(map[string]any)
	out, _ := st.Output.(map[string]any)
	if out == nil || out["send"] == nil || reflect.DeepEqual(in["send"], out["send"]) {
		return "", reply{}, false
	}
	b, err := json.Marshal(out["send"])
	if err != nil {
		return "", reply{}, false
	}
	var v struct {
		Step  string `json:"step"`
		Reply reply  `json:"reply"`
	}
	if json.Unmarshal(b, &v) != nil || v.Reply.Status == "" {
		return "", reply{}, false
	}
	if v.Step == "" {
		v.Step = strings.TrimPrefix(st.Name, "Send ")
	}
	return v.Step, v.Reply, true
}

// check compares the outbox and the executions with the story's
// expectations: every expected email sent, in order, and no other.
func check(s *devstack.Stack, story *Story, outbox []devstack.Email) []string {
	var problems []string
	sent := map[string][]string{}
	for _, m := range outbox {
		for _, to := range m.To {
			k := to + " " + m.Journey
			sent[k] = append(sent[k], m.Step)
		}
	}
	expected := map[string]bool{}
	for _, e := range story.Expect {
		k := e.Email + " " + e.Journey
		expected[k] = true
		if !slices.Equal(sent[k], e.Steps) {
			problems = append(problems, fmt.Sprintf("%s, %s: emails sent %v, want %v", e.Email, e.Journey, nonNil(sent[k]), nonNil(e.Steps)))
		}
		xs := s.Executions(e.Journey, e.Email)
		if len(xs) != 1 {
			problems = append(problems, fmt.Sprintf("%s, %s: %d executions, want 1", e.Email, e.Journey, len(xs)))
			continue
		}
		if e.Status != "" && xs[0].Status != e.Status {
			problems = append(problems, fmt.Sprintf("%s, %s: execution %s in %q, want %s", e.Email, e.Journey, xs[0].Status, xs[0].State, e.Status))
		}
		if e.State != "" && xs[0].State != e.State {
			problems = append(problems, fmt.Sprintf("%s, %s: execution ended in %q, want %q", e.Email, e.Journey, xs[0].State, e.State))
		}
	}
	var extra []string
	for k, steps := range sent {
		if !expected[k] {
			extra = append(extra, fmt.Sprintf("%s: unexpected emails %v", k, steps))
		}
	}
	for _, x := range s.Executions("", "") {
		if !expected[x.Profile+" "+x.Journey] {
			extra = append(extra, fmt.Sprintf("%s %s: unexpected execution %s (%s)", x.Profile, x.Journey, x.Name, x.Status))
		}
	}
	sort.Strings(extra)
	return append(problems, extra...)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// logTap keeps the stack's log lines for the timeline and passes them on.
type logTap struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines [][]byte
	next  io.Writer
}

func (l *logTap) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		i := bytes.IndexByte(l.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, append([]byte(nil), l.buf.Next(i+1)...))
	}
	if l.next != nil {
		return l.next.Write(p)
	}
	return len(p), nil
}

func (l *logTap) take() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// Print writes the timeline, day by day, and the outbox summary.
func (r *Result) Print(w io.Writer) {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	width := 0
	for _, e := range r.Timeline {
		width = max(width, len(e.Email))
	}
	day := -1
	for _, e := range r.Timeline {
		if d := dayNumber(r.Start, e.At); d != day {
			if day >= 0 && d > day+2 {
				fmt.Fprintf(bw, "\n  (days %d to %d: nothing to report; the clock moves on)\n", day+1, d-1)
			} else if day >= 0 && d == day+2 {
				fmt.Fprintf(bw, "\n  (day %d: nothing to report)\n", day+1)
			}
			day = d
			fmt.Fprintf(bw, "\nDay %d · %s\n", d, e.At.Format("Mon 2 Jan 2006"))
		}
		fmt.Fprintf(bw, "  %s  %-*s  %s\n", e.At.Format("15:04"), width, e.Email, e.Text)
	}
	fmt.Fprintf(bw, "\nOutbox: %d emails\n", len(r.Outbox))
	for _, m := range r.Outbox {
		fmt.Fprintf(bw, "  %s  %-*s  %-18s  %-24s  %s\n", m.SentAt.Format("Mon 02 Jan 15:04"), width, strings.Join(m.To, ","), m.Journey, m.Step, m.Subject)
	}
	running := 0
	for _, x := range r.Stack.Executions("", "") {
		if x.Status == "RUNNING" {
			running++
		}
	}
	fmt.Fprintf(bw, "\n%d journey executions still waiting at %s (UTC, virtual time).\n", running, r.Stack.Now().Format("Mon 2 Jan 2006 15:04"))
}

// dayNumber counts calendar days (UTC) from start to t.
func dayNumber(start, t time.Time) int {
	y, m, d := start.UTC().Date()
	s := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return int(t.UTC().Sub(s).Hours() / 24)
}
