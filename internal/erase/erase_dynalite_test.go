package erase_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/erase"
	"github.com/parcours/parcours/internal/profile"
)

// One dynalite process for the package's tests (ddbtest.Main).
func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// TestBackendsEraseContract runs erasure and export on minidyn and on
// dynalite, over every webhook fixture routed into journeys: the data
// request's export, customers/redact leaving no trace but the event
// tombstones, redeliveries and a second redact changing nothing, an
// interrupted erasure finished by a re-run, shop/redact. Both backends
// must end with the same table.
func TestBackendsEraseContract(t *testing.T) {
	ctx := context.Background()
	dumps := map[string]string{}
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		e := newEnvOn(t, db, table)
		e.load(t)
		carol := "carol@example.com"
		carolTraces := traces(t, e, carol, "Nguyen", "+33698765432", "12 rue des Lilas")
		if got := findTraces(dump(t, e), carolTraces[:2]); len(got) == 0 {
			t.Fatal("carol is not in the table before the test: the checks below could not fail")
		}

		if status, body := e.post(t, "shopify/customers-data-request.json"); status != 200 || body != `{"status":"exported"}` {
			t.Fatalf("data request: %d %s", status, body)
		}
		saved, err := e.eraser.SavedExports(ctx, carol)
		if err != nil || len(saved) != 1 {
			t.Fatalf("exports %d, %v", len(saved), err)
		}
		var x erase.Export
		if err := json.Unmarshal(saved[0], &x); err != nil {
			t.Fatal(err)
		}
		if x.Email != carol || x.Profile == nil || x.Profile.LastName != "Nguyen" || len(x.Orders) != 2 || len(x.Events) < 4 ||
			len(x.Journeys) == 0 || len(x.Messages) != len(executionsOf(t, e, carol)) || x.FrequencyCap == nil || len(x.Aliases) == 0 {
			t.Fatalf("export: %s", saved[0])
		}

		if status, body := e.post(t, "shopify/customers-redact.json"); status != 200 || body != `{"status":"erased"}` {
			t.Fatalf("redact: %d %s", status, body)
		}
		if got := findTraces(dump(t, e), carolTraces); len(got) > 0 {
			t.Fatalf("left after erasure:\n%s", strings.Join(got, "\n"))
		}
		tombstones := 0
		for _, it := range ddbtest.Scan(t, db, table) {
			if _, ok := it[profile.AttrErasedAt]; ok {
				tombstones++
				if len(it) != 4 || it["ttl"] == nil {
					t.Fatalf("erased event item keeps %d attributes: %v", len(it), it)
				}
			}
		}
		if tombstones < 4 {
			t.Fatalf("%d erased event items, want at least 4", tombstones)
		}
		before := dump(t, e)
		for _, f := range []string{"shopify/customers-create.json", "shopify/orders-cancelled.json"} {
			if status, body := e.post(t, f); status != 200 || body != `{"status":"duplicate"}` {
				t.Fatalf("redelivered %s: %d %s", f, status, body)
			}
		}
		if status, _ := e.post(t, "shopify/customers-redact.json"); status != 200 {
			t.Fatalf("second redact: %d", status)
		}
		if after := dump(t, e); !reflect.DeepEqual(before, after) {
			t.Fatal("a redelivery or a second redact changed the table")
		}

		// An erasure of bob interrupted after 5 writes, then run again.
		broken := *e.eraser
		broken.DB = &failingDB{DynamoDB: e.db, n: 5}
		if _, err := broken.Customer(ctx, "bob@example.com"); !errors.Is(err, errInjected) {
			t.Fatalf("err = %v, want the injected failure", err)
		}
		if _, err := e.eraser.Customer(ctx, "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		if got := findTraces(dump(t, e), traces(t, e, "bob@example.com")); len(got) > 0 {
			t.Fatalf("left of bob after the re-run:\n%s", strings.Join(got, "\n"))
		}

		if status, body := e.post(t, "shopify/shop-redact.json"); status != 200 || body != `{"status":"erased"}` {
			t.Fatalf("shop redact: %d %s", status, body)
		}
		if got := findTraces(dump(t, e), []string{"ALIAS#shopify#parcours-demo.myshopify.com#", "alice@example.com", "dave.leroy@example.com"}); len(got) > 0 {
			t.Fatalf("left after shop/redact:\n%s", strings.Join(got, "\n"))
		}
		if _, err := profile.NewStore(db, table).GetView(ctx, "erin.petit@example.com"); err != nil {
			t.Fatalf("erin (another source) was erased too: %v", err)
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
