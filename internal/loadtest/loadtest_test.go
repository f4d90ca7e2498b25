package loadtest_test

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/parcours/parcours/internal/loadtest"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// A small bounded run: every check of `make loadtest`, on 400 webhooks
// (the embedded DynamoDB copies the table on every transaction, so time
// grows with the square of the count; docs/reliability.md has the
// numbers), without and with faults.
func TestSmallRun(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults float64
	}{{"no faults", 0}, {"faults 5%", 0.05}} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := loadtest.Run(context.Background(), loadtest.Config{
				Dir: repoRoot(t), Webhooks: 400, Profiles: 40, Concurrency: 16, Duplicates: 0.10, Suppressed: 0.05, Seed: 1, Faults: tt.faults,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d webhooks (%d unique) in %v, %d attempts, answers %v, %d events, %d profiles, %d executions, %d emails, faults %v",
				r.Webhooks, r.Unique, r.Load, r.Attempts, r.Answers, r.Events, r.Profiles, r.Executions, r.Emails, r.Faults)
			if !r.OK() {
				n := min(len(r.Problems), 20)
				t.Fatalf("%d problems:\n%s", len(r.Problems), strings.Join(r.Problems[:n], "\n"))
			}
			if r.Answers["stored"] != r.Unique || r.Events != r.Unique || r.Duplicates != 40 {
				t.Errorf("stored %d, events %d, want %d; %d duplicates, want 40", r.Answers["stored"], r.Events, r.Unique, r.Duplicates)
			}
			if r.Executions == 0 || r.Executions != r.ExpectedExecutions || r.Emails == 0 {
				t.Errorf("%d executions (want %d), %d emails: the workload must start journeys and send", r.Executions, r.ExpectedExecutions, r.Emails)
			}
			if tt.faults > 0 && (len(r.Faults) == 0 || r.Retried == 0) {
				t.Errorf("faults %v, %d deliveries retried: the faults must reach the shop", r.Faults, r.Retried)
			}
		})
	}
}
