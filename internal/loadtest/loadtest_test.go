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

// A small bounded run: every check of `make loadtest` on 2,000 webhooks,
// without and with faults.
func TestSmallRun(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults float64
	}{{"no faults", 0}, {"faults 5%", 0.05}} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := loadtest.Run(context.Background(), loadtest.Config{
				Dir: repoRoot(t), Webhooks: 2000, Profiles: 200, Concurrency: 16, Duplicates: 0.10, Suppressed: 0.05, Seed: 1, Faults: tt.faults,
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
			if r.Answers["stored"] != r.Unique || r.Events != r.Unique {
				t.Errorf("stored %d, events %d, want %d", r.Answers["stored"], r.Events, r.Unique)
			}
			if r.Executions == 0 || r.Emails == 0 {
				t.Errorf("%d executions, %d emails: the workload must start journeys and send", r.Executions, r.Emails)
			}
			if tt.faults > 0 && len(r.Faults) == 0 {
				t.Error("no fault was injected")
			}
		})
	}
}
