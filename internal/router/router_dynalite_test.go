package router_test

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/internal/touchpoint"
)

// One dynalite process for the package's tests (ddbtest.Main).
func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// newEnvOn is newEnv with the router and the store on the given table.
func newEnvOn(t *testing.T, db *dynamodb.Client, table string) *env {
	t.Helper()
	e := newEnv(t)
	e.db, e.table = db, table
	e.store = profile.NewStore(db, table)
	e.store.Now = func() time.Time { return e.now }
	e.h.DB, e.h.Table = db, table
	return e
}

// TestBackendsRouterContract runs the router's DynamoDB contract on
// minidyn and on dynalite: the entry items' re-entry conditions (after a
// window, never, always), duplicate and replayed records, the execution
// items under the profile, and no write under an erased profile. Both
// backends must end with the same table.
func TestBackendsRouterContract(t *testing.T) {
	dumps := map[string]string{}
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		e := newEnvOn(t, db, table)
		first := e.ingest(t, checkout("c1", "ana@example.com", "EUR"))
		for range 2 { // a duplicate in the batch, then a replay of the batch
			if resp := e.handle(t, first, first); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures: %v", resp.BatchItemFailures)
			}
		}
		if got := sortedNames(e.sfn); len(got) != 2 {
			t.Fatalf("executions = %v, want abandoned-cart and euro-cart", got)
		}
		// Within abandoned-cart's 7-day window: held back (euro-cart always
		// re-enters, but this cart is in GBP).
		e.now = e.now.Add(24 * time.Hour)
		e.handle(t, e.ingest(t, checkout("c2", "ana@example.com", "GBP")))
		if got := names(e.sfn); len(got) != 2 {
			t.Fatalf("within the window: %v", got)
		}
		e.now = e.now.Add(7 * 24 * time.Hour)
		e.handle(t, e.ingest(t, checkout("c3", "ana@example.com", "GBP")))
		if got := names(e.sfn); len(got) != 3 || got[2] != router.ExecutionName("abandoned-cart", "ana@example.com", "c3") {
			t.Fatalf("after the window: %v", got)
		}
		// never: welcome once per profile.
		created := func(id string) events.DynamoDBEventRecord {
			return e.ingest(t, touchpoint.Event{ID: id, Source: "shopify", Type: touchpoint.CustomerCreated, OccurredAt: e.now, Email: "bob@example.com"})
		}
		w1 := created("w1")
		e.handle(t, w1)
		e.handle(t, created("w2"))
		if resp := e.handle(t, w1); len(resp.BatchItemFailures) != 0 {
			t.Fatal(resp.BatchItemFailures)
		}
		welcome := 0
		for _, n := range names(e.sfn) {
			if strings.HasPrefix(n, "welcome-") {
				welcome++
			}
		}
		if welcome != 1 {
			t.Fatalf("welcome executions = %d, want 1: %v", welcome, names(e.sfn))
		}
		if got, want := e.execItems(t), sortedNames(e.sfn); !reflect.DeepEqual(got, want) {
			t.Fatalf("execution items %v, want the started executions %v", got, want)
		}

		// Erase ana's partition: a replayed record starts and writes nothing.
		for _, it := range ddbtest.Scan(t, db, table) {
			if it["pk"].(*types.AttributeValueMemberS).Value == profile.ProfilePK("ana@example.com") {
				if _, err := db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: &table,
					Key: map[string]types.AttributeValue{"pk": it["pk"], "sk": it["sk"]}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		before, started := ddbtest.Dump(t, db, table), len(names(e.sfn))
		replay := first
		replay.Change.SequenceNumber = "99"
		if resp := e.handle(t, replay); len(resp.BatchItemFailures) != 0 {
			t.Fatal(resp.BatchItemFailures)
		}
		if got := len(names(e.sfn)); got != started {
			t.Fatalf("executions %d after a record of an erased profile, want %d", got, started)
		}
		if after := ddbtest.Dump(t, db, table); after != before {
			t.Fatalf("the router wrote under an erased profile:\nbefore %s\nafter  %s", before, after)
		}
		dumps[t.Name()] = ddbtest.Dump(t, db, table)
	})
	m, d := dumps[t.Name()+"/minidyn"], dumps[t.Name()+"/dynalite"]
	if m == "" || d == "" {
		t.Fatalf("a backend left no table to compare (minidyn %d bytes, dynalite %d)", len(m), len(d))
	}
	if m != d {
		t.Fatalf("the backends' tables differ:\nminidyn:\n%s\ndynalite:\n%s", m, d)
	}
}
