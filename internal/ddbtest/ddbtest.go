// Package ddbtest runs DynamoDB implementations on loopback ports for tests
// and gives out real aws-sdk-go-v2 DynamoDB clients pointed at them, with
// the project's table (profile.TableSchema) created:
//
//   - minidyn, the embedded emulator (the server package of
//     github.com/truora/minidyn), in process: Start, New. `parcours dev`
//     uses Handler and NewClient to serve it on its own port.
//   - dynalite (npm, pinned in package.json, run by node@22 from
//     node_modules), an independent implementation in its own process:
//     StartDynalite, SharedDynalite, Main.
//
// ForEachBackend runs one test body on both, each with a fresh table:
//
//	func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) } // one dynalite per package
//
//	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) { … })
//	db, table := ddbtest.New(t)        // minidyn only: client + fresh table, closed at t.Cleanup
//	rows := ddbtest.Scan(t, db, table) // every item, for "nothing changed" checks
//
// What minidyn v0.8.2 does and does not do, as far as parcours relies on it:
//   - TransactWriteItems is atomic (snapshot + restore) and a failed
//     ConditionExpression cancels it with TransactionCanceledException and
//     CancellationReasons, one per item. Unlike DynamoDB it stops at the
//     first failing item: that item says ConditionalCheckFailed and every
//     other item says None. Callers that order their items by priority
//     (profile.Store puts the event item first) read the same answer from
//     both.
//   - There are no streams: StreamSpecification is accepted and ignored.
//   - UpdateTimeToLive and DescribeTimeToLive are not implemented by
//     minidyn; Handler answers them itself (recording the setting, never
//     expiring anything), so profile.CreateTable runs unchanged.
//   - EmulateFailure (Emulator.Server) makes every call fail with
//     InternalServerError, for storage-outage tests.
//
// What dynalite 4.0.0 does and does not do, and what answers in its place.
// Clients talk to the transaction front (internal/ddbtx, Standalone), which
// sends single-item operations to dynalite through a reverse proxy:
//   - dynalite has no TransactWriteItems or TransactGetItems. The front
//     serves both over dynalite's GetItem, PutItem, UpdateItem and
//     DeleteItem with their conditions (see internal/ddbtx): so condition
//     and update expressions, key conditions, attribute value encoding and
//     validation, and the single-item errors are dynalite's; atomicity,
//     rollback, CancellationReasons (minidyn's first-failure shape, as
//     above) and the errors of requests the front cannot take apart
//     (two operations on one item, an empty list, an incomplete key, an
//     unknown table) are the front's, worded as DynamoDB words them.
//   - dynalite has no UpdateTimeToLive, and its DescribeTimeToLive always
//     says DISABLED: the front answers both as Handler does for minidyn,
//     after dynalite's DescribeTimeToLive has checked the table exists.
//   - dynalite requires a signed request (it checks the Authorization and
//     X-Amz-Date headers exist, not the signature); the proxy adds dummy
//     ones to the front's own calls.
//   - Tables stay CREATING for --createTableMs (500 ms by default): the
//     process runs with 0, and NewTable waits for ACTIVE.
//   - StreamSpecification is accepted and dropped (DescribeTable shows no
//     stream); no TTL expiry; table names must be 3 to 255 characters, as
//     in DynamoDB (minidyn takes any).
//   - If node or dynalite is missing, the test fails with "run `make npm`";
//     it never skips.
//
// Where the two answer differently, dynalite answers as DynamoDB documents
// (probed request by request; the contract tests of profile, send, router,
// unsubscribe, feedback and erase end with identical tables on both):
//   - Item size: dynalite rejects an item over 400 KB ("Item size has
//     exceeded the maximum allowed size"; in a transaction, the front
//     answers TransactionCanceledException with a ValidationError reason,
//     as DynamoDB does); minidyn stores it (TestBackendsItemOver400KB).
//     profile.Store's event item holds the normalized event, so an order
//     with enough line items under ingest's 1 MiB body limit is stored by
//     minidyn and refused by DynamoDB.
//   - minidyn accepts what DynamoDB rejects: an empty string key, an empty
//     string or number set, a Query without a partition-key equality
//     (answers 200 {}), duplicate keys in a BatchGetItem, table names of
//     one or two characters.
//   - minidyn answers differently: an empty list comes back without its
//     type ({"L":[]} as {}), numbers are stored as written ("1.50",
//     "0010") until an update normalizes them, a PutItem returns the item
//     as Attributes without ReturnValues, Select COUNT returns the items
//     and no ScannedCount, error types lack DynamoDB's namespace
//     ("ValidationException" for "com.amazon.coral.validate#…"), and
//     messages differ (reserved words, key type mismatch).
//   - parcours writes no sets, lists or empty keys, uses no BatchGetItem or
//     Select, and reads errors by type through the SDK, so only the item
//     size reaches its code.
package ddbtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/sdkhttp"
)

// Emulator is a running minidyn server on a loopback port.
type Emulator struct {
	URL    string           // the endpoint, e.g. http://127.0.0.1:41234
	Client *dynamodb.Client // a real SDK client; SDK retries are off so failures show at once
	Server *server.Server   // minidyn itself: EmulateFailure, ClearTable, …
	http   *httptest.Server
}

var tables atomic.Int64

// Start runs an emulator until the test ends.
func Start(tb testing.TB) *Emulator {
	tb.Helper()
	s := server.NewServer()
	hs := httptest.NewServer(Handler(s))
	tb.Cleanup(hs.Close)
	return &Emulator{
		URL:    hs.URL,
		Client: NewClient(hs.URL, func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} }),
		Server: s,
		http:   hs,
	}
}

// Close stops the emulator: every later call fails with a connection error,
// as when DynamoDB is unreachable.
func (e *Emulator) Close() { e.http.Close() }

// NewTable creates a fresh, empty table with the project's schema and
// returns its name.
func (e *Emulator) NewTable(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("parcours-test-%d", tables.Add(1))
	if err := profile.CreateTable(context.Background(), e.Client, name); err != nil {
		tb.Fatalf("ddbtest: %v", err)
	}
	return name
}

// New starts an emulator and creates one table: the usual test setup.
func New(tb testing.TB) (*dynamodb.Client, string) {
	tb.Helper()
	e := Start(tb)
	return e.Client, e.NewTable(tb)
}

// NewClient returns a DynamoDB client for a local endpoint: static dummy
// credentials, region us-east-1, BaseEndpoint set, sdkhttp's HTTP client.
// Nothing is read from the environment or ~/.aws.
func NewClient(endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:   sdkhttp.New(), // see internal/sdkhttp: the SDK's client would close connections under load
	}, optFns...)
}

// Scan returns every item of a table, for before/after comparisons.
func Scan(tb testing.TB, db *dynamodb.Client, table string) []map[string]types.AttributeValue {
	tb.Helper()
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			tb.Fatalf("ddbtest: scan %s: %v", table, err)
		}
		items = append(items, page.Items...)
	}
	return items
}

// Handler serves the DynamoDB JSON protocol from s, adding the two TTL
// operations minidyn lacks. Requests are told apart by X-Amz-Target, so the
// handler can share a port with other services.
func Handler(s *server.Server) http.Handler {
	t := &ttlTables{spec: map[string]string{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.") {
		case "UpdateTimeToLive":
			t.update(w, r)
		case "DescribeTimeToLive":
			t.describe(w, r)
		default:
			s.ServeHTTP(w, r)
		}
	})
}

// IsDynamoDBRequest says whether r is a DynamoDB API call (for routing on a
// shared port).
func IsDynamoDBRequest(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
}

type ttlTables struct {
	mu   sync.Mutex
	spec map[string]string // table → TTL attribute
}

type ttlSpec struct {
	AttributeName string `json:"AttributeName"`
	Enabled       bool   `json:"Enabled"`
}

func (t *ttlTables) update(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TableName               string  `json:"TableName"`
		TimeToLiveSpecification ttlSpec `json:"TimeToLiveSpecification"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.TableName == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"__type": "ValidationException", "message": "bad UpdateTimeToLive input"})
		return
	}
	t.mu.Lock()
	if in.TimeToLiveSpecification.Enabled {
		t.spec[in.TableName] = in.TimeToLiveSpecification.AttributeName
	} else {
		delete(t.spec, in.TableName)
	}
	t.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"TimeToLiveSpecification": in.TimeToLiveSpecification})
}

func (t *ttlTables) describe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TableName string `json:"TableName"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	t.mu.Lock()
	attr, ok := t.spec[in.TableName]
	t.mu.Unlock()
	desc := map[string]string{"TimeToLiveStatus": "DISABLED"}
	if ok {
		desc = map[string]string{"TimeToLiveStatus": "ENABLED", "AttributeName": attr}
	}
	writeJSON(w, http.StatusOK, map[string]any{"TimeToLiveDescription": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
