package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parcours/parcours/internal/journey/contract"
)

// Sent are the steps the journey sent, in time order.
func (r *Result) Sent() []string { return r.steps(contract.StatusSent, false) }

// Deferred are the steps deferred at least once, in order of the first
// deferral.
func (r *Result) Deferred() []string { return r.steps(contract.StatusDeferred, false) }

// Skipped are the steps skipped, as "<step>: <reason>".
func (r *Result) Skipped() []string { return r.steps(contract.StatusSkipped, true) }

func (r *Result) steps(status string, withReason bool) []string {
	out := []string{}
	for _, e := range r.Timeline {
		if e.Kind != "email" || e.Journey != r.Journey || e.Status != status {
			continue
		}
		s := e.Step
		if withReason {
			s += ": " + e.Reason
		}
		if status == contract.StatusDeferred && slices.Contains(out, s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Endings are how the journey's executions ended, joined with ", ";
// "not started" when the scenario started none.
func (r *Result) Endings() string {
	if len(r.Executions) == 0 {
		return "not started"
	}
	var out []string
	for _, x := range r.Executions {
		out = append(out, x.Ending)
	}
	return strings.Join(out, ", ")
}

func list(s []string) string { return "[" + strings.Join(s, ", ") + "]" }

// check compares the expect block with what happened.
func check(ex *Expect, r *Result) []Check {
	out := []Check{}
	if ex == nil {
		return out
	}
	add := func(name, want, got string) {
		out = append(out, Check{Name: name, Want: want, Got: got, Pass: want == got})
	}
	if ex.Emails != nil {
		add("emails", list(ex.Emails), list(r.Sent()))
	}
	if ex.Exit != nil {
		add("exit", *ex.Exit, r.Endings())
	}
	if ex.Deferred != nil {
		add("deferred", list(ex.Deferred), list(r.Deferred()))
	}
	if ex.Skipped != nil {
		add("skipped", list(ex.Skipped), list(r.Skipped()))
	}
	return out
}

// WriteJSON writes the result as one indented JSON document.
func (r *Result) WriteJSON(w io.Writer) error { return WriteJSON(w, r) }

// WriteJSON writes v (a result or a list of them) as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteText writes the readable timeline.
func (r *Result) WriteText(w io.Writer) error {
	loc := r.loc
	if loc == nil {
		loc = time.UTC
	}
	var b strings.Builder
	fmt.Fprintf(&b, "scenario: %s\n", r.Scenario)
	fmt.Fprintf(&b, "journey:  %s\n", r.Journey)
	fmt.Fprintf(&b, "t=0:      %s (%s)\n", r.Start.UTC().Format(time.RFC3339), r.Start.In(loc).Format("Mon 2 Jan 15:04 MST"))
	fmt.Fprintf(&b, "times:    offset from t=0, local time in %s\n\n", r.Timezone)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	labels := r.labels()
	for _, e := range r.Timeline {
		who, ok := labels[e.Execution]
		switch {
		case e.Kind == "event":
			who = "event"
		case !ok:
			who = e.Journey
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", signed(e.At.Sub(r.Start)), e.At.In(loc).Format("Mon 2 Jan 15:04"), who, e.text(r.Start))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Executions) == 0 {
		fmt.Fprintf(&b, "\n%s did not start.\n", r.Journey)
	}
	if len(r.Others) > 0 {
		b.WriteString("\n")
	}
	for _, o := range r.Others {
		verb := "also started"
		if o.StartedAt.Before(r.Start) {
			verb = "also running"
		}
		emails := "no email since t=0"
		if len(o.Emails) > 0 {
			emails = "sent " + strings.Join(o.Emails, ", ")
		}
		fmt.Fprintf(&b, "%s: %s (key %s, at %s; %s; %s)\n", verb, o.Journey, o.TriggerKey, signed(o.StartedAt.Sub(r.Start)), strings.ToLower(o.Status), emails)
	}
	if len(r.Unplayed) > 0 {
		fmt.Fprintf(&b, "\nnot played (after --until): %s\n", strings.Join(r.Unplayed, ", "))
	}
	fmt.Fprintf(&b, "\nend: %s, clock stopped at %s\n", r.Endings(), signed(r.End.Sub(r.Start)))
	if len(r.Checks) > 0 {
		b.WriteString("\n")
	}
	for _, c := range r.Checks {
		if c.Pass {
			fmt.Fprintf(&b, "PASS %s: %s\n", c.Name, c.Got)
		} else {
			fmt.Fprintf(&b, "FAIL %s: want %s, got %s\n", c.Name, c.Want, c.Got)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// labels names the journey's executions: the journey, with the trigger key
// when there are several.
func (r *Result) labels() map[string]string {
	out := map[string]string{}
	for _, x := range r.Executions {
		out[x.Name] = r.Journey
		if len(r.Executions) > 1 {
			out[x.Name] = r.Journey + "[" + x.TriggerKey + "]"
		}
	}
	return out
}

// text is an entry's description.
func (e Entry) text(start time.Time) string {
	switch e.Kind {
	case "event":
		return e.Detail
	case "start":
		return "start (" + e.Detail + ")"
	case "wait":
		return e.State + " " + e.Detail
	case "email":
		s := e.Step + " " + e.Status
		switch e.Status {
		case contract.StatusSent:
			if e.Subject != "" {
				s += fmt.Sprintf(": %q", e.Subject)
			}
		case contract.StatusDeferred:
			s += " (" + e.Reason + ")"
			if t, err := time.Parse(time.RFC3339, e.NotBefore); err == nil {
				s += " until " + signed(t.Sub(start))
			}
		case contract.StatusSkipped:
			s += " (" + e.Reason + ")"
		default:
			if e.Detail != "" {
				s += " (" + e.Detail + ")"
			}
		}
		return s
	case "end":
		return "end: " + e.Detail
	case "not started":
		return "not started (" + e.Reason + ")"
	case "failed":
		return "failed: " + e.Detail
	}
	return e.State
}

// signed writes an offset from t=0 with its sign: "+4h", "-30d".
func signed(d time.Duration) string {
	if d < 0 {
		return FormatOffset(d)
	}
	return "+" + FormatOffset(d)
}
