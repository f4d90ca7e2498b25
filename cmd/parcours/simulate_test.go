package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSimulateCommand(t *testing.T) {
	root, _ := filepath.Abs("../..")
	shipped := filepath.Join(root, "journeys", "abandoned-cart", "scenarios", "ordered-during-wait.yaml")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	wrongExpect := write("wrong.yaml", strings.Replace(string(src), "exit: Ordered since start", "exit: Done", 1))
	badType := write("badtype.yaml", "name: s\nprofile: {email: a@example.com}\nevents:\n  - at: 0s\n    type: checkout_strated\n")
	badYAML := write("badyaml.yaml", "name: s\n  profile: {email: a@example.com}\n")
	missing := filepath.Join(dir, "missing.yaml")

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings
		stderr string   // exact
	}{
		{
			name: "passing scenario", args: []string{"--journey", "abandoned-cart", "--scenario", shipped}, code: 0,
			stdout: []string{"scenario: orders during the wait\n", "cart-reminder-1 sent: \"Alice, your cart is waiting\"", "end: Ordered since start", "PASS emails: [cart-reminder-1]\n", "PASS exit: Ordered since start\n"},
		},
		{
			name: "failed expectation exits 1", args: []string{"--journey", "abandoned-cart", "--scenario", wrongExpect}, code: 1,
			stdout: []string{"PASS emails: [cart-reminder-1]\n", "FAIL exit: want Done, got Ordered since start\n"},
		},
		{
			name: "every shipped scenario of a journey", args: []string{"--journey", "welcome"}, code: 0,
			stdout: []string{"scenario: new subscriber gets three emails\n", "scenario: subscribes during quiet hours\n", "scenario: unsubscribes after the first email\n"},
		},
		{
			name: "until", args: []string{"--journey", "abandoned-cart", "--scenario", shipped, "--until", "2h"}, code: 1,
			stdout: []string{"Wait 4h → still waiting", "not played (after --until): order_placed at +6h\n", "end: running, clock stopped at +2h\n", "FAIL emails: want [cart-reminder-1], got []\n"},
		},
		{name: "no journey", args: []string{"--scenario", shipped}, code: 2, stderr: "parcours simulate: --journey is required\n" + simulateUsage},
		{name: "unknown flag", args: []string{"--journy", "welcome"}, code: 2, stderr: "parcours simulate: flag provided but not defined: -journy\n" + simulateUsage},
		{name: "stray argument", args: []string{"--journey", "welcome", "extra"}, code: 2, stderr: "parcours simulate: unexpected argument \"extra\"\n" + simulateUsage},
		{name: "unknown journey close to one", args: []string{"--journey", "wellcome"}, code: 2,
			stderr: "parcours simulate: unknown journey \"wellcome\" (hint: did you mean welcome?)\n"},
		{name: "unknown journey", args: []string{"--journey", "newsletter", "--scenario", shipped}, code: 2,
			stderr: "parcours simulate: unknown journey \"newsletter\" (journeys: abandoned-cart, browse-abandonment, review-request, welcome, win-back)\n"},
		{name: "unknown event type", args: []string{"--journey", "abandoned-cart", "--scenario", badType}, code: 2,
			stderr: "parcours simulate: " + badType + ":5:11: unknown event type \"checkout_strated\" (hint: did you mean checkout_started?)\n"},
		{name: "invalid YAML", args: []string{"--journey", "abandoned-cart", "--scenario", badYAML}, code: 2,
			stderr: "parcours simulate: " + badYAML + ":2:1: invalid YAML: mapping values are not allowed in this context\n"},
		{name: "missing scenario file", args: []string{"--journey", "abandoned-cart", "--scenario", missing}, code: 2,
			stderr: "parcours simulate: read scenario: open " + missing + ": no such file or directory\n"},
		{name: "bad until", args: []string{"--journey", "abandoned-cart", "--scenario", shipped, "--until", "soon"}, code: 2,
			stderr: "parcours simulate: --until \"soon\": want a duration such as 90m, 6h, 3d or 2w, at most 400d\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"simulate"}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if tt.stdout == nil && stdout.Len() > 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
			if tt.stderr != "" || tt.code == 0 {
				if stderr.String() != tt.stderr {
					t.Errorf("stderr\n got %q\nwant %q", stderr.String(), tt.stderr)
				}
			}
		})
	}
}

func TestSimulateJSON(t *testing.T) {
	root, _ := filepath.Abs("../..")
	shipped := filepath.Join(root, "journeys", "abandoned-cart", "scenarios", "frequency-cap.yaml")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"simulate", "--json", "--journey", "abandoned-cart", "--scenario", shipped}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var doc struct {
		Journey  string `json:"journey"`
		Timeline []struct {
			Offset, Kind, Journey, Step, Status, Reason, NotBefore string
		} `json:"timeline"`
		Others []struct{ Journey string } `json:"others"`
		Checks []struct{ Pass bool }      `json:"checks"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	var decisions []string
	for _, e := range doc.Timeline {
		if e.Kind == "email" {
			decisions = append(decisions, e.Offset+" "+e.Journey+" "+e.Step+" "+e.Status+" "+e.Reason)
		}
	}
	// The welcome email at 0s takes the 16h cap: the cart reminder due at
	// 5h is deferred to 16h, then by quiet hours (02:00 in Paris) to 08:00.
	want := []string{
		"0s welcome welcome-1 sent ",
		"5h abandoned-cart cart-reminder-1 deferred frequency_cap",
		"16h abandoned-cart cart-reminder-1 deferred quiet_hours",
		"22h abandoned-cart cart-reminder-1 sent ",
	}
	if len(decisions) < len(want) || strings.Join(decisions[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Errorf("decisions:\n%s\nwant first:\n%s", strings.Join(decisions, "\n"), strings.Join(want, "\n"))
	}
	if len(doc.Others) != 1 || doc.Others[0].Journey != "welcome" || len(doc.Checks) != 3 {
		t.Errorf("others %+v checks %+v", doc.Others, doc.Checks)
	}
}
