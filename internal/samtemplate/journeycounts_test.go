package samtemplate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/journey"
)

// matchSucceedPattern evaluates the two filter patterns the compiler writes
// on a Step Functions log event, with the documented semantics of a JSON
// filter pattern (CloudWatch Logs user guide, "Filter pattern syntax"):
// selectors $.a.b, = on strings, && , a quoted string is exact, an
// unquoted one may end in the '*' wildcard. Any other shape fails the test.
func matchSucceedPattern(t *testing.T, pattern string, event []byte) bool {
	t.Helper()
	g := regexp.MustCompile(`^\{ \$\.type = "(\w+)" && \$\.details\.name = (?:"([^"*]+)"|(\w+)\*) \}$`).FindStringSubmatch(pattern)
	if g == nil {
		t.Fatalf("pattern %q is not of the shape this test evaluates", pattern)
	}
	var ev struct {
		Type    string `json:"type"`
		Details struct {
			Name string `json:"name"`
		} `json:"details"`
	}
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != g[1] {
		return false
	}
	if g[2] != "" {
		return ev.Details.Name == g[2]
	}
	return strings.HasPrefix(ev.Details.Name, g[3])
}

// TestJourneyCountPatterns: on every compiled journey, the SucceedStateEntered
// log event of each Succeed state matches exactly one of the two patterns
// (exited for "Exit: …", completed for "Done"), and the events of the other
// states' entries and of the execution's end match neither. Log events are
// shaped as Step Functions writes them at Level ALL without execution data.
func TestJourneyCountPatterns(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("found %d state machines (%v)", len(files), err)
	}
	event := func(typ, name string) []byte {
		b, _ := json.Marshal(map[string]any{
			"id": "7", "type": typ, "previous_event_id": "6", "event_timestamp": "1700000000000",
			"execution_arn": "arn:aws:states:eu-west-1:123456789012:execution:parcours-welcome:x",
			"details":       map[string]any{"name": name, "input": "", "inputDetails": map[string]any{"truncated": false}},
		})
		return b
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sm, err := asl.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			exits, dones := 0, 0
			for _, name := range sm.States.Names() {
				st := sm.States.Get(name)
				if st.Type == "Parallel" || st.Type == "Map" {
					t.Fatalf("state %q is a %s: its inner Succeed states would be counted too; teach this test", name, st.Type)
				}
				enteredType := st.Type + "StateEntered"
				exited := matchSucceedPattern(t, journey.ExitedPattern, event(enteredType, name))
				completed := matchSucceedPattern(t, journey.CompletedPattern, event(enteredType, name))
				switch {
				case st.Type != "Succeed":
					if exited || completed {
						t.Errorf("%s state %q counts as exited=%v completed=%v", st.Type, name, exited, completed)
					}
				case name == "Done":
					dones++
					if exited || !completed {
						t.Errorf("Succeed state %q: exited=%v completed=%v, want completed only", name, exited, completed)
					}
				case strings.HasPrefix(name, "Exit: "):
					exits++
					if !exited || completed {
						t.Errorf("Succeed state %q: exited=%v completed=%v, want exited only", name, exited, completed)
					}
				default:
					t.Errorf("Succeed state %q is neither an exit nor Done: neither metric counts it", name)
				}
			}
			if dones != 1 || exits == 0 {
				t.Errorf("%d Done and %d exit states, want 1 and at least 1", dones, exits)
			}
			for _, ev := range [][]byte{event("ExecutionSucceeded", ""), event("SucceedStateExited", "Done"), event("SucceedStateExited", "Exit: Unsubscribed")} {
				if matchSucceedPattern(t, journey.ExitedPattern, ev) || matchSucceedPattern(t, journey.CompletedPattern, ev) {
					t.Errorf("event %s is counted", ev)
				}
			}
		})
	}
}

// TestCheckJourneyCountsCatches: a state machine that does not log
// SucceedStateEntered, a missing or altered metric filter, and a counted
// metric the dashboard does not show are each reported.
func TestCheckJourneyCountsCatches(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	completed := `FilterPattern: '` + journey.CompletedPattern + `'`
	for _, c := range []struct{ name, old, new, want string }{
		{"level ERROR", "Level: ALL", "Level: ERROR", "AbandonedCartStateMachine: Logging.Level = ERROR, want ALL"},
		{"execution data", "IncludeExecutionData: false", "IncludeExecutionData: true", "AbandonedCartStateMachine: Logging.IncludeExecutionData = true, want false"},
		{"other pattern", completed, `FilterPattern: '{ $.type = "ExecutionSucceeded" }'`, "AbandonedCartStateMachine: 0 metric filters count journeys completed on its log group AbandonedCartStateMachineLogs, want 1"},
		{"not on the dashboard", "MetricName: " + journey.CompletedMetric("welcome"), "MetricName: JourneyCompleted.nobody", "WelcomeStateMachine: the dashboard does not show JourneyCompleted.nobody (metric filter WelcomeStateMachineCompletedMetric)"},
		{"other namespace", "MetricNamespace: Parcours", "MetricNamespace: Other", "want namespace Parcours, value 1, no dimensions"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp := loadEdited(t, string(doc), c.old, c.new)
			if got := strings.Join(tp.CheckDashboardResources(), "; "); !strings.Contains(got, c.want) {
				t.Errorf("problems = %q, want %q", got, c.want)
			}
		})
	}
	if p := load(t).CheckDashboardResources(); len(p) != 0 {
		t.Errorf("the template itself: %v", p)
	}
}
