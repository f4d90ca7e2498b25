package reliability_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/parcours/parcours/internal/devstack"
	"github.com/parcours/parcours/internal/fault"
	"github.com/parcours/parcours/internal/loadtest"
)

// What journeys write (entries, execution records, messages, caps)
// depends on which stream records were retried, not on the webhooks: the
// comparisons below are about what ingest wrote.
var journeyItems = []string{"ENTRY#", "EXEC#", "MESSAGE#", "CAP", "REF#EXEC#"}

// DynamoDB fails 20–30% of every operation (throughput exceeded, 500s,
// transaction conflicts and cancellations) while a shop delivers
// webhooks. Ingest answers 503 only for deliveries it did not store and
// leaves nothing half-written: after one pass, the table holds exactly
// what a fault-free stack holds after receiving only the deliveries that
// were answered 200. Retrying every 503, as Shopify does, converges to
// exactly what a fault-free stack holds after every delivery.
func TestIngestUnderDynamoDBFaults(t *testing.T) {
	for _, tt := range []struct {
		name  string
		rate  float64
		kinds []fault.Kind
	}{
		// The SDK retries throttling and 500s three times: a higher rate
		// makes some reach ingest.
		{"throughput", 0.3, []fault.Kind{fault.Throughput}},
		{"internal server error", 0.3, []fault.Kind{fault.InternalServerError}},
		{"transaction conflicts", 0.2, []fault.Kind{fault.TransactionConflict, fault.TransactionCanceled}},
		{"all kinds", 0.2, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // most of the time is the SDK's retry backoff
			inj := fault.New(3, fault.Rule{Service: fault.DynamoDB, Rate: tt.rate, Kinds: tt.kinds})
			inj.SetEnabled(false)
			faulty := start(t, devstack.Config{Faults: inj})
			w, err := loadtest.Generate(11, 80, 10, 0, 0, secrets(faulty), faulty.Now())
			if err != nil {
				t.Fatal(err)
			}
			// Deliveries over the tag limit are answered 400 (the load
			// test checks that); this test is about storage faults.
			w.Deliveries = slices.DeleteFunc(w.Deliveries, func(d loadtest.Delivery) bool { return w.Events[d.Event].Reject != "" })
			unique := 0
			for _, ev := range w.Events {
				if ev.Reject == "" {
					unique++
				}
			}
			inj.SetEnabled(true)

			// Pass 1: each delivery once.
			stored := map[string]bool{}
			var ok, failed []loadtest.Delivery
			statuses, bodies := postAll(t, faulty.URL(), w.Deliveries)
			for i, d := range w.Deliveries {
				status, body := statuses[i], bodies[i]
				switch status {
				case http.StatusOK:
					ok = append(ok, d)
					stored[w.Events[d.Event].ID] = true
				case http.StatusServiceUnavailable:
					if body != `{"status":"error","reason":"storage unavailable, retry"}` {
						t.Fatalf("503 body = %s", body)
					}
					failed = append(failed, d)
				default:
					t.Fatalf("status %d %s", status, body)
				}
			}
			inj.SetEnabled(false)
			faulty.Sync()
			if len(failed) == 0 || faultTotal(inj, fault.DynamoDB) == 0 {
				t.Fatalf("no delivery failed (%v): the test tests nothing", inj.Counts())
			}
			t.Logf("pass 1: %d stored, %d answered 503; faults %v", len(ok), len(failed), inj.Counts())

			// 5xx only for what was not stored.
			got := eventIDs(t, faulty)
			for id := range got {
				if !stored[id] {
					t.Errorf("event %s stored but its delivery was answered 503", id)
				}
			}
			for id := range stored {
				if !got[id] {
					t.Errorf("event %s answered 200 but not stored", id)
				}
			}
			// Nothing half-written: the same as a clean stack fed only the
			// 200s.
			clean := start(t, devstack.Config{})
			for _, d := range ok {
				if status, body := post(t, clean.URL(), d); status != http.StatusOK {
					t.Fatalf("clean stack: %d %s", status, body)
				}
			}
			clean.Sync()
			if d := diffItems(items(t, faulty, journeyItems...), items(t, clean, journeyItems...)); len(d) > 0 {
				t.Fatalf("after pass 1, the faulty stack differs from a clean one fed the stored deliveries (%d):\n%s", len(d), strings.Join(d[:min(len(d), 5)], "\n"))
			}

			// Pass 2: the shop retries every 503 (with faults still on)
			// until it is answered 200.
			inj.SetEnabled(true)
			for attempt := 1; len(failed) > 0; attempt++ {
				statuses, bodies := postAll(t, faulty.URL(), failed)
				var again []loadtest.Delivery
				for i, d := range failed {
					switch {
					case statuses[i] == http.StatusOK && bodies[i] != `{"status":"stored"}`:
						t.Errorf("retry of a 503 answered %s: the first attempt had stored it", bodies[i])
					case statuses[i] == http.StatusOK:
					case statuses[i] != http.StatusServiceUnavailable || attempt == 20:
						t.Fatalf("retry %d: %d %s", attempt, statuses[i], bodies[i])
					default:
						again = append(again, d)
					}
				}
				failed = again
			}
			inj.SetEnabled(false)
			faulty.Sync()
			full := start(t, devstack.Config{})
			for _, d := range w.Deliveries {
				if status, body := post(t, full.URL(), d); status != http.StatusOK {
					t.Fatalf("clean stack: %d %s", status, body)
				}
			}
			full.Sync()
			if d := diffItems(items(t, faulty, journeyItems...), items(t, full, journeyItems...)); len(d) > 0 {
				t.Fatalf("after the retries, the faulty stack differs from a clean one (%d):\n%s", len(d), strings.Join(d[:min(len(d), 5)], "\n"))
			}
			if n := len(eventIDs(t, faulty)); n != unique {
				t.Errorf("%d events stored, want %d", n, unique)
			}
		})
	}
}
