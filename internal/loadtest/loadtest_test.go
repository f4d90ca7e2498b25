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

// A small bounded run: every check of `make loadtest`, on 400 webhooks,
// without and with faults (docs/reliability.md has the 50,000 numbers).
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
			t.Logf("%d webhooks (%d unique, %d rejected) in %v, %d attempts, answers %v, %d events, %d profiles, %d executions, %d emails (must %d, may %d), faults %v",
				r.Webhooks, r.Unique, r.Rejected, r.Load, r.Attempts, r.Answers, r.Events, r.Profiles, r.Executions, r.Emails, r.WelcomeMust, r.WelcomeMay, r.Faults)
			if !r.OK() {
				n := min(len(r.Problems), 20)
				t.Fatalf("%d problems:\n%s", len(r.Problems), strings.Join(r.Problems[:n], "\n"))
			}
			if stored := r.Unique - r.Rejected; r.Answers["stored"] != stored || r.Events != stored || r.Duplicates != 40 {
				t.Errorf("stored %d, events %d, want %d; %d duplicates, want 40", r.Answers["stored"], r.Events, stored, r.Duplicates)
			}
			if r.Executions == 0 || r.Executions != r.ExpectedExecutions || r.Emails == 0 || r.WelcomeMust == 0 {
				t.Errorf("%d executions (want %d), %d emails, %d must be sent: the workload must start journeys and send", r.Executions, r.ExpectedExecutions, r.Emails, r.WelcomeMust)
			}
			if r.Rejected == 0 || r.Answers["rejected"] == 0 {
				t.Errorf("%d events over the tag limit, %d answered rejected: the seed must exercise the 400", r.Rejected, r.Answers["rejected"])
			}
			if tt.faults > 0 && (len(r.Faults) == 0 || r.Retried == 0) {
				t.Errorf("faults %v, %d deliveries retried: the faults must reach the shop", r.Faults, r.Retried)
			}
		})
	}
}
