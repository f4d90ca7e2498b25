package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestCostCommand(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"dated report over the committed journeys", []string{"cost", "--root", "../..", "--profiles", "10000", "--webhooks", "100000"}, 0,
			"parcours cost: AWS list prices, us-east-1, as of 2026-11-22 (no free tier)\n", ""},
		{"negative volume", []string{"cost", "--root", "../..", "--profiles", "-1"}, 2, "",
			"cost: --profiles, --webhooks and --entries-per-profile must be at least 0, --deferral-rate between 0 and 1\n"},
		{"deferral rate over 1", []string{"cost", "--root", "../..", "--deferral-rate", "2"}, 2, "",
			"cost: --profiles, --webhooks and --entries-per-profile must be at least 0, --deferral-rate between 0 and 1\n"},
		{"stray argument", []string{"cost", "--root", "../..", "abandoned-cart"}, 2, "", "cost: unexpected argument \"abandoned-cart\"\n"},
		{"no repository", []string{"cost", "--root", t.TempDir()}, 1, "", "cost: read template: open "},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(context.Background(), c.args, &out, &errb); code != c.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, c.code, errb.String())
			}
			if !strings.HasPrefix(out.String(), c.stdout) {
				t.Errorf("stdout starts %q, want %q", firstLine(out.String()), c.stdout)
			}
			if c.stderr == "" && errb.Len() > 0 || !strings.HasPrefix(errb.String(), c.stderr) {
				t.Errorf("stderr %q, want it to start with %q", errb.String(), c.stderr)
			}
			if c.code == 0 && !strings.Contains(out.String(), "Monthly estimate: 10000 profiles, 100000 webhooks") {
				t.Errorf("no monthly estimate in:\n%s", out.String())
			}
		})
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
