package samtemplate

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parcours/parcours/internal/devstack"
	"github.com/parcours/parcours/internal/journey"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/statemachines"
)

// TestCheckJourneys: the repository passes every journey-dependent check,
// including that the hand-written template names no journey.
func TestCheckJourneys(t *testing.T) {
	problems, err := CheckJourneys(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// copyTree copies the files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkout copies what parcours compile reads and writes (journeys/,
// statemachines/, template.yaml, README.md) into a temporary directory.
func checkout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"journeys", "statemachines"} {
		copyTree(t, filepath.Join(root, d), filepath.Join(dir, d))
	}
	for _, f := range []string{"template.yaml", "README.md"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSixthJourney: adding a journey is one folder plus `make
// statemachines`. In a copy of the repository, add
// testdata/journeys/thank-you as journeys/thank-you, compile, and the
// template passes every check with no other edit: the new state machine,
// its router ARN and StartExecution scope, its alarm, dashboard rows and
// output are all there, and the dev stack reads the result.
func TestSixthJourney(t *testing.T) {
	dir := checkout(t)
	const name = "thank-you"
	copyTree(t, filepath.Join("testdata", "journeys", name), filepath.Join(dir, "journeys", name))
	before, err := os.ReadFile(filepath.Join(dir, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	out, err := journey.Build(dir)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if len(out.Journeys) != 6 {
		t.Fatalf("compiled %d journeys, want 6", len(out.Journeys))
	}
	changed := strings.Join(out.Diff(dir), " ")
	if want := "README.md statemachines/thank-you.asl.json statemachines/triggers.json template.yaml"; changed != want {
		t.Errorf("compile changes %s, want %s", changed, want)
	}
	if err := out.Write(dir); err != nil {
		t.Fatal(err)
	}
	if d := out.Diff(dir); len(d) != 0 {
		t.Errorf("after compile, --check still reports %v", d)
	}

	problems, err := CheckJourneys(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}

	// What the new journey got, by name.
	tp, err := Load(filepath.Join(dir, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	id := journey.LogicalID(name)
	for _, want := range []string{id, id + "Logs", id + "FailedAlarm"} {
		if _, ok := tp.Resource(want); !ok {
			t.Errorf("no resource %s", want)
		}
	}
	if n := len(tp.Resources("AWS::Serverless::StateMachine")); n != 6 {
		t.Errorf("%d state machines, want 6", n)
	}
	m, err := router.LoadManifest(os.DirFS(filepath.Join(dir, "statemachines")), "triggers.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Journeys) != 6 {
		t.Errorf("triggers.json lists %d journeys, want 6", len(m.Journeys))
	}
	// Only generated lines changed: the hand-written part is the same.
	after, _ := os.ReadFile(filepath.Join(dir, "template.yaml"))
	if a, b := handWritten(string(before)), handWritten(string(after)); a != b {
		t.Errorf("compile changed the hand-written part of template.yaml")
	}

	// The dev stack reads the new template: six state machines, and the
	// router's STATE_MACHINE_ARNS names the new one's live alias.
	dt, err := devstack.LoadTemplate(filepath.Join(dir, "template.yaml"), "", "http://127.0.0.1:1")
	if err != nil {
		t.Fatalf("dev stack: %v", err)
	}
	var sm *devstack.StateMachineResource
	for _, s := range dt.StateMachines {
		if s.LogicalID == id {
			sm = s
		}
	}
	if len(dt.StateMachines) != 6 || sm == nil {
		t.Fatalf("dev stack reads %d state machines, none %s", len(dt.StateMachines), id)
	}
	r := dt.Functions["RouterFunction"]
	if r == nil {
		t.Fatal("dev stack: no RouterFunction")
	}
	arns, err := router.ParseStateMachineARNs(r.Env["STATE_MACHINE_ARNS"], m)
	if err != nil {
		t.Fatalf("dev stack router configuration: %v", err)
	}
	if arns[name] != sm.QualifiedARN() || !strings.HasSuffix(arns[name], ":"+journey.Alias) {
		t.Errorf("dev stack router starts %s on %s, want %s", name, arns[name], sm.QualifiedARN())
	}
}

func handWritten(doc string) string {
	var b strings.Builder
	gen := journey.Generated(doc)
	for i, l := range strings.Split(doc, "\n") {
		if !gen[i] {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// TestCheckRouterCatches: the router check fails when a journey's alias
// is missing, the statement lets the router start an unqualified
// execution, or the scope misses a state machine.
func TestCheckRouterCatches(t *testing.T) {
	m, err := router.LoadManifest(statemachines.FS, statemachines.Triggers)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, old, new, want string }{
		{"alias missing", "              - !Sub welcome=${WelcomeStateMachineAliaslive}\n", "", "STATE_MACHINE_ARNS has no ARN for journey welcome"},
		{"unqualified", "              - !Sub welcome=${WelcomeStateMachineAliaslive}\n", "              - !Sub welcome=${WelcomeStateMachine}\n", "journey welcome starts on arn:aws:local:WelcomeStateMachine, want arn:aws:local:WelcomeStateMachine:live"},
		{"scope missing", "                - !Ref WelcomeStateMachine\n", "", "RouterFunction may not StartExecution on map[Ref:WelcomeStateMachine]"},
		{"scope too wide", "                - !Ref WelcomeStateMachine\n", "                - !Ref WelcomeStateMachine\n                - !Ref Table\n", "RouterFunction may StartExecution on map[Ref:Table], which is no journey's state machine"},
		{"any qualifier", "                  states:StateMachineQualifier: live\n", "                  states:StateMachineQualifier: other\n", "RouterFunction may StartExecution with qualifier other, want only live"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp := loadEdited(t, string(doc), c.old, c.new)
			if got := strings.Join(tp.CheckRouter(m), "; "); !strings.Contains(got, c.want) {
				t.Errorf("problems = %q, want %q", got, c.want)
			}
		})
	}
}

// TestCheckAlarmsCatches: more than 10 metrics in one alarm (the hard
// CloudWatch limit the single failed-executions alarm hit at five
// journeys) and a state machine without an alarm are reported.
func TestCheckAlarmsCatches(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stat := "      - Id: t\n        ReturnData: false\n        MetricStat: {Stat: Sum, Period: 300, Metric: {Namespace: AWS/States, MetricName: ExecutionsTimedOut, Dimensions: [{Name: StateMachineArn, Value: !Ref WelcomeStateMachine}]}}\n"
	var more strings.Builder
	more.WriteString(stat)
	for i := range 9 {
		more.WriteString(strings.Replace(stat, "Id: t\n", "Id: x"+string(rune('a'+i))+"\n", 1))
	}
	for _, c := range []struct{ name, old, new, want string }{
		{"eleven metrics", stat, more.String(), "alarm WelcomeStateMachineFailedAlarm reads 11 metrics with 1 expressions: CloudWatch allows at most 10 and 10"},
		{"no timed-out alarm", stat, "", "no alarm reads AWS/States ExecutionsTimedOut StateMachineArn=map[Ref:WelcomeStateMachine]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The alarm region is indented by two.
			tp := loadEdited(t, string(doc), indent(c.old, "  "), indent(c.new, "  "))
			if got := strings.Join(tp.CheckAlarms(), "; "); !strings.Contains(got, c.want) {
				t.Errorf("problems = %q, want %q", got, c.want)
			}
		})
	}
}

// indent prefixes every line of s.
func indent(s, by string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(by + l)
		}
	}
	return b.String()
}

// TestCheckHandWrittenCatches: a journey named outside the generated
// regions is reported with its line.
func TestCheckHandWrittenCatches(t *testing.T) {
	m, err := router.LoadManifest(statemachines.FS, statemachines.Triggers)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p := CheckHandWritten(string(doc), m); len(p) != 0 {
		t.Fatalf("the repository's template: %v", p)
	}
	edited := strings.Replace(string(doc), "  AlarmTopic:\n", "  # see win-back\n  AlarmTopic:\n", 1)
	line := strings.Count(edited[:strings.Index(edited, "  # see win-back")], "\n") + 1
	want := []string{"template.yaml:" + strconv.Itoa(line) + " names a journey outside the generated regions: # see win-back"}
	if got := CheckHandWritten(edited, m); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("problems = %q, want %q", got, want)
	}
	if got := CheckHandWritten(strings.Replace(string(doc), "  AlarmTopic:\n", "  # win-backs are not journeys\n  AlarmTopic:\n", 1), m); len(got) != 0 {
		t.Errorf("a word containing a journey name is reported: %q", got)
	}
}

// loadEdited loads the template with old replaced by new (old must occur).
func loadEdited(t *testing.T, doc, old, new string) *Template {
	t.Helper()
	if !strings.Contains(doc, old) {
		t.Fatalf("template has no %q", old)
	}
	p := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(p, []byte(strings.Replace(doc, old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tp, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}
