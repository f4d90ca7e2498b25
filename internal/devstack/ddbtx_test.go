package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
)

// backend is a DynamoDB endpoint on loopback with the project's table "t".
type backend struct {
	url   string
	db    *dynamodb.Client
	front *txFront // nil: plain minidyn
}

// newBackend serves plain minidyn (through ddbtest.Handler), or with front
// set what the stack serves: txFront over minidyn spread on testShards
// servers.
func newBackend(t *testing.T, front bool) *backend {
	t.Helper()
	if !front {
		return serveBackend(t, ddbtest.Handler(server.NewServer()))
	}
	f := newTxFront(newShards(testShards), slog.New(slog.DiscardHandler))
	b := serveBackend(t, f)
	b.front = f
	return b
}

// testShards is fewer than the stack's dynamoShards: the scenarios' few
// partition keys still land on several servers.
const testShards = 4

func serveBackend(t *testing.T, h http.Handler) *backend {
	t.Helper()
	b := &backend{}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	b.url = hs.URL
	b.db = ddbtest.NewClient(hs.URL, func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} })
	if err := profile.CreateTable(context.Background(), b.db, "t"); err != nil {
		t.Fatal(err)
	}
	return b
}

// do sends one raw DynamoDB request and returns the status and body.
func (b *backend) do(t *testing.T, op, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(out)
}

// scan returns the table's items, one JSON object per line, sorted: the
// shards answer a Scan in another order than one minidyn.
func (b *backend) scan(t *testing.T) string {
	t.Helper()
	status, body := b.do(t, "Scan", `{"TableName":"t"}`)
	if status != http.StatusOK {
		t.Fatalf("scan: %d %s", status, body)
	}
	var out struct{ Items []json.RawMessage }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	lines := make([]string, len(out.Items))
	for i, it := range out.Items {
		lines[i] = canonicalItem(t, it)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// canonicalItem sorts the members of string and number sets: minidyn
// answers them in a random order.
func canonicalItem(t *testing.T, item json.RawMessage) string {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal(item, &m); err != nil {
		t.Fatal(err)
	}
	for _, v := range m {
		for _, typ := range []string{"SS", "NS"} {
			if set, ok := v[typ].([]any); ok {
				sort.Slice(set, func(i, j int) bool { return set[i].(string) < set[j].(string) })
			}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The items every scenario starts from.
var txSeed = []string{
	`{"pk":{"S":"P#a"},"sk":{"S":"PROFILE"},"v":{"N":"2"},"name":{"S":"Ann"}}`,
	`{"pk":{"S":"P#a"},"sk":{"S":"ORDER#1"},"total":{"N":"10"},"tags":{"SS":["x","y"]}}`,
	`{"pk":{"S":"P#b"},"sk":{"S":"PROFILE"},"v":{"N":"7"},"m":{"M":{"k":{"L":[{"N":"1"},{"S":"<&>"}]}}}}`,
}

func tx(items ...string) string {
	return `{"TransactItems":[` + strings.Join(items, ",") + `]}`
}

const (
	putNewEvent  = `{"Put":{"TableName":"t","Item":{"pk":{"S":"E#1"},"sk":{"S":"EVENT"},"at":{"N":"5"}},"ConditionExpression":"attribute_not_exists(#pk)","ExpressionAttributeNames":{"#pk":"pk"}}}`
	putProfileV2 = `{"Put":{"TableName":"t","Item":{"pk":{"S":"P#a"},"sk":{"S":"PROFILE"},"v":{"N":"3"},"name":{"S":"Ann B"}},"ConditionExpression":"#v = :v","ExpressionAttributeNames":{"#v":"v"},"ExpressionAttributeValues":{":v":{"N":"2"}}}}`
	putProfileV9 = `{"Put":{"TableName":"t","Item":{"pk":{"S":"P#a"},"sk":{"S":"PROFILE"},"v":{"N":"10"}},"ConditionExpression":"#v = :v","ExpressionAttributeNames":{"#v":"v"},"ExpressionAttributeValues":{":v":{"N":"9"}}}}`
	updateOrder  = `{"Update":{"TableName":"t","Key":{"pk":{"S":"P#a"},"sk":{"S":"ORDER#1"}},"UpdateExpression":"SET #t = #t + :d, refunded = :t","ExpressionAttributeNames":{"#t":"total"},"ExpressionAttributeValues":{":d":{"N":"5"},":t":{"BOOL":true}}}}`
	updateNewRow = `{"Update":{"TableName":"t","Key":{"pk":{"S":"P#c"},"sk":{"S":"COUNT"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}}}`
	deleteB      = `{"Delete":{"TableName":"t","Key":{"pk":{"S":"P#b"},"sk":{"S":"PROFILE"}},"ConditionExpression":"attribute_exists(pk)"}}`
	deleteAbsent = `{"Delete":{"TableName":"t","Key":{"pk":{"S":"P#y"},"sk":{"S":"PROFILE"}}}}`
	checkAExists = `{"ConditionCheck":{"TableName":"t","Key":{"pk":{"S":"P#a"},"sk":{"S":"PROFILE"}},"ConditionExpression":"attribute_exists(#pk)","ExpressionAttributeNames":{"#pk":"pk"}}}`
	checkZAbsent = `{"ConditionCheck":{"TableName":"t","Key":{"pk":{"S":"P#z"},"sk":{"S":"PROFILE"}},"ConditionExpression":"attribute_not_exists(pk)"}}`
	checkZExists = `{"ConditionCheck":{"TableName":"t","Key":{"pk":{"S":"P#z"},"sk":{"S":"PROFILE"}},"ConditionExpression":"attribute_exists(pk)"}}`
	checkBOld    = `{"ConditionCheck":{"TableName":"t","Key":{"pk":{"S":"P#b"},"sk":{"S":"PROFILE"}},"ConditionExpression":"v < :v","ExpressionAttributeValues":{":v":{"N":"3"}},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}}`
	updateBOld   = `{"Update":{"TableName":"t","Key":{"pk":{"S":"P#b"},"sk":{"S":"PROFILE"}},"UpdateExpression":"SET v = :v","ConditionExpression":"v = :old","ExpressionAttributeValues":{":v":{"N":"8"},":old":{"N":"1"}},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}}`
)

// TestTxFrontMatchesMinidyn runs the same requests against plain minidyn
// and against txFront in front of minidyn: every answer (status and body,
// byte for byte) and the final table must be the same, and each scenario's
// expected outcome must hold (so two equally wrong backends fail too).
func TestTxFrontMatchesMinidyn(t *testing.T) {
	cases := []struct {
		name   string
		reqs   [][2]string // operation, body
		status []int       // wanted status per request
		reason []string    // wanted cancellation codes of the last request, "," joined
		check  func(t *testing.T, scan string)
	}{
		{
			name:   "all items succeed",
			reqs:   [][2]string{{"TransactWriteItems", tx(putNewEvent, putProfileV2, updateOrder, updateNewRow, deleteB, checkZAbsent)}},
			status: []int{200},
			check: func(t *testing.T, scan string) {
				has(t, scan, `"E#1"`, `"Ann B"`, `"refunded"`, `"P#c"`)
				hasNot(t, scan, `"P#b"`)
			},
		},
		{
			name:   "duplicate event: first item fails, nothing changes",
			reqs:   [][2]string{{"TransactWriteItems", tx(putNewEvent, updateNewRow)}, {"TransactWriteItems", tx(putNewEvent, updateNewRow)}},
			status: []int{200, 400},
			reason: []string{"ConditionalCheckFailed,None"},
			check:  func(t *testing.T, scan string) { has(t, scan, `"n":{"N":"1"}`) },
		},
		{
			name:   "stale version in the middle: earlier puts and updates undone",
			reqs:   [][2]string{{"TransactWriteItems", tx(putNewEvent, updateOrder, updateNewRow, putProfileV9, deleteB)}},
			status: []int{400},
			reason: []string{"None,None,None,ConditionalCheckFailed,None"},
			check: func(t *testing.T, scan string) {
				hasNot(t, scan, `"E#1"`, `"refunded"`, `"P#c"`)
				has(t, scan, `"P#b"`, `"total":{"N":"10"}`)
			},
		},
		{
			name:   "failing condition check last: overwrite, update, delete undone",
			reqs:   [][2]string{{"TransactWriteItems", tx(putProfileV2, updateOrder, deleteB, checkZExists)}},
			status: []int{400},
			reason: []string{"None,None,None,ConditionalCheckFailed"},
			check: func(t *testing.T, scan string) {
				has(t, scan, `"Ann"`, `"P#b"`)
				hasNot(t, scan, `"Ann B"`, `"refunded"`)
			},
		},
		{
			name:   "condition checks on a present and an absent item change nothing",
			reqs:   [][2]string{{"TransactWriteItems", tx(checkAExists, checkZAbsent, deleteAbsent, updateNewRow)}},
			status: []int{200},
			check: func(t *testing.T, scan string) {
				has(t, scan, `"P#c"`, `"Ann"`)
				hasNot(t, scan, `"P#z"`)
			},
		},
		{
			name:   "ALL_OLD on a failing update returns the item",
			reqs:   [][2]string{{"TransactWriteItems", tx(updateNewRow, updateBOld)}},
			status: []int{400},
			reason: []string{"None,ConditionalCheckFailed"},
			check:  func(t *testing.T, scan string) { hasNot(t, scan, `"P#c"`) },
		},
		{
			name:   "ALL_OLD on a failing condition check returns the item",
			reqs:   [][2]string{{"TransactWriteItems", tx(putNewEvent, checkBOld)}},
			status: []int{400},
			reason: []string{"None,ConditionalCheckFailed"},
			check:  func(t *testing.T, scan string) { hasNot(t, scan, `"E#1"`) },
		},
		{
			name: "validation error in the middle: rolled back, minidyn's error",
			reqs: [][2]string{{"TransactWriteItems", tx(putNewEvent,
				`{"Update":{"TableName":"t","Key":{"pk":{"S":"P#a"},"sk":{"S":"PROFILE"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"N":"1"},":unused":{"N":"2"}}}}`)}},
			status: []int{400},
			check:  func(t *testing.T, scan string) { hasNot(t, scan, `"E#1"`) },
		},
		{
			name: "update expression syntax error: rolled back",
			reqs: [][2]string{{"TransactWriteItems", tx(putNewEvent,
				`{"Update":{"TableName":"t","Key":{"pk":{"S":"P#a"},"sk":{"S":"PROFILE"}},"UpdateExpression":"SET v = = :v","ExpressionAttributeValues":{":v":{"N":"1"}}}}`)}},
			status: []int{400},
			check:  func(t *testing.T, scan string) { hasNot(t, scan, `"E#1"`) },
		},
		{
			name:   "two operations on one item (minidyn answers)",
			reqs:   [][2]string{{"TransactWriteItems", tx(putNewEvent, putProfileV2, checkAExists)}},
			status: []int{400},
			check:  func(t *testing.T, scan string) { hasNot(t, scan, `"E#1"`, `"Ann B"`) },
		},
		{
			name:   "unknown table (minidyn answers)",
			reqs:   [][2]string{{"TransactWriteItems", tx(putNewEvent, strings.Replace(updateNewRow, `"t"`, `"nope"`, 1))}},
			status: []int{400},
			check:  func(t *testing.T, scan string) { hasNot(t, scan, `"E#1"`) },
		},
		{
			name:   "put without its key (minidyn answers)",
			reqs:   [][2]string{{"TransactWriteItems", tx(putNewEvent, `{"Put":{"TableName":"t","Item":{"pk":{"S":"X"}}}}`)}},
			status: []int{400},
			check:  func(t *testing.T, scan string) { hasNot(t, scan, `"E#1"`) },
		},
		{
			name:   "plain writes between transactions",
			reqs:   [][2]string{{"PutItem", `{"TableName":"t","Item":{"pk":{"S":"E#1"},"sk":{"S":"EVENT"}}}`}, {"TransactWriteItems", tx(putNewEvent)}, {"DeleteItem", `{"TableName":"t","Key":{"pk":{"S":"E#1"},"sk":{"S":"EVENT"}}}`}, {"TransactWriteItems", tx(putNewEvent)}},
			status: []int{200, 400, 200, 200},
			check:  func(t *testing.T, scan string) { has(t, scan, `"at":{"N":"5"}`) },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plain, front := newBackend(t, false), newBackend(t, true)
			for _, b := range []*backend{plain, front} {
				for _, it := range txSeed {
					if st, body := b.do(t, "PutItem", `{"TableName":"t","Item":`+it+`}`); st != 200 {
						t.Fatalf("seed: %d %s", st, body)
					}
				}
			}
			var last string
			for i, rq := range c.reqs {
				ps, pb := plain.do(t, rq[0], rq[1])
				fs, fb := front.do(t, rq[0], rq[1])
				if ps != fs || pb != fb {
					t.Fatalf("request %d %s:\nminidyn: %d %s\ntxFront: %d %s", i, rq[0], ps, pb, fs, fb)
				}
				if fs != c.status[i] {
					t.Fatalf("request %d: status %d, want %d (%s)", i, fs, c.status[i], fb)
				}
				last = fb
			}
			if c.reason != nil {
				if got := reasonCodes(t, last); got != c.reason[0] {
					t.Fatalf("cancellation reasons %s, want %s (%s)", got, c.reason[0], last)
				}
			}
			ps, fs := plain.scan(t), front.scan(t)
			if ps != fs {
				t.Fatalf("tables differ:\nminidyn: %s\ntxFront: %s", ps, fs)
			}
			c.check(t, fs)
		})
	}
}

func reasonCodes(t *testing.T, body string) string {
	t.Helper()
	var out struct {
		Type    string `json:"__type"`
		Reasons []struct{ Code string }
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if out.Type != "TransactionCanceledException" {
		t.Fatalf("answer %s, want TransactionCanceledException", body)
	}
	var raw struct {
		CancellationReasons []struct{ Code string }
	}
	_ = json.Unmarshal([]byte(body), &raw)
	codes := make([]string, len(raw.CancellationReasons))
	for i, r := range raw.CancellationReasons {
		codes[i] = r.Code
	}
	return strings.Join(codes, ",")
}

func has(t *testing.T, scan string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(scan, s) {
			t.Errorf("table lacks %s: %s", s, scan)
		}
	}
}

func hasNot(t *testing.T, scan string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(scan, s) {
			t.Errorf("table has %s: %s", s, scan)
		}
	}
}

// TestTxFrontSDKErrors: the SDK client reads the front's cancellation as it
// reads minidyn's (profile.Store's and the router's switch on the codes).
func TestTxFrontSDKErrors(t *testing.T) {
	for _, front := range []bool{false, true} {
		t.Run(fmt.Sprintf("front=%v", front), func(t *testing.T) {
			b := newBackend(t, front)
			ctx := context.Background()
			put := func(pk string) types.TransactWriteItem {
				return types.TransactWriteItem{Put: &types.Put{TableName: aws.String("t"),
					Item:                                map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "EVENT"}},
					ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
					ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}}
			}
			if _, err := b.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put("a")}}); err != nil {
				t.Fatal(err)
			}
			_, err := b.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{put("b"), put("a")}})
			var tce *types.TransactionCanceledException
			if !errors.As(err, &tce) {
				t.Fatalf("err %v, want TransactionCanceledException", err)
			}
			if len(tce.CancellationReasons) != 2 || aws.ToString(tce.CancellationReasons[0].Code) != "None" ||
				aws.ToString(tce.CancellationReasons[1].Code) != "ConditionalCheckFailed" ||
				aws.ToString(tce.CancellationReasons[1].Message) != "The conditional request failed" {
				t.Fatalf("reasons %+v", tce.CancellationReasons)
			}
			// DynamoDB returns the old image for a Put with ALL_OLD; so does
			// the front, minidyn does not.
			if got := len(tce.CancellationReasons[1].Item); front && got != 2 || !front && got != 0 {
				t.Errorf("front=%v: reason item has %d attributes", front, got)
			}
			if n := len(ddbtest.Scan(t, b.db, "t")); n != 1 {
				t.Errorf("%d items, want 1 (b rolled back)", n)
			}
		})
	}
}

// The ClientRequestToken window is tested in internal/ddbtx
// (TestIdempotencyToken), with the front's clock.

// TestTxFrontConcurrent: writers race on one item with optimistic versions
// while readers read two items every transaction keeps equal. Both
// backends end with every increment applied once; through the front no
// TransactGetItems ever sees the two items differ.
func TestTxFrontConcurrent(t *testing.T) {
	const writers, increments = 6, 15
	for _, front := range []bool{false, true} {
		t.Run(fmt.Sprintf("front=%v", front), func(t *testing.T) {
			b := newBackend(t, front)
			ctx := context.Background()
			key := func(sk string) map[string]types.AttributeValue {
				return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "P#x"}, "sk": &types.AttributeValueMemberS{Value: sk}}
			}
			version := func(item map[string]types.AttributeValue) string {
				if n, ok := item["v"].(*types.AttributeValueMemberN); ok {
					return n.Value
				}
				return "0"
			}
			var wg sync.WaitGroup
			errs := make(chan error, writers+2)
			for w := range writers {
				wg.Go(func() {
					for i := 0; i < increments; {
						out, err := b.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key("A"), ConsistentRead: aws.Bool(true)})
						if err != nil {
							errs <- err
							return
						}
						old := version(out.Item)
						var next int
						fmt.Sscan(old, &next)
						nv := &types.AttributeValueMemberN{Value: fmt.Sprint(next + 1)}
						cond := "attribute_not_exists(v) OR v = :old"
						vals := map[string]types.AttributeValue{":old": &types.AttributeValueMemberN{Value: old}, ":v": nv}
						logItem := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("L#%d-%d", w, i)}, "sk": &types.AttributeValueMemberS{Value: "LOG"}}
						_, err = b.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
							{Put: &types.Put{TableName: aws.String("t"), Item: logItem, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
							{Update: &types.Update{TableName: aws.String("t"), Key: key("A"), UpdateExpression: aws.String("SET v = :v"), ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}},
							{Update: &types.Update{TableName: aws.String("t"), Key: key("B"), UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": nv}}},
						}})
						var tce *types.TransactionCanceledException
						switch {
						case err == nil:
							i++
						case errors.As(err, &tce) && aws.ToString(tce.CancellationReasons[1].Code) == "ConditionalCheckFailed":
						default:
							errs <- err
							return
						}
					}
				})
			}
			var torn int
			stop := make(chan struct{})
			var rg sync.WaitGroup
			rg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					out, err := b.db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
						{Get: &types.Get{TableName: aws.String("t"), Key: key("A")}}, {Get: &types.Get{TableName: aws.String("t"), Key: key("B")}},
					}})
					if err != nil {
						errs <- err
						return
					}
					if version(out.Responses[0].Item) != version(out.Responses[1].Item) {
						torn++
					}
				}
			})
			wg.Wait()
			close(stop)
			rg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			items := ddbtest.Scan(t, b.db, "t")
			logs := 0
			for _, it := range items {
				if it["sk"].(*types.AttributeValueMemberS).Value == "LOG" {
					logs++
				}
			}
			out, err := b.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key("A")})
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprint(writers * increments); version(out.Item) != want || logs != writers*increments {
				t.Errorf("version %s, %d log items; want %s and %s", version(out.Item), logs, want, want)
			}
			if front && torn > 0 {
				t.Errorf("%d TransactGetItems saw A and B differ through the front", torn)
			}
			t.Logf("front=%v: %d torn reads", front, torn)
		})
	}
}

// TestStackStreamSeesFrontWrites: through the stack, a transaction's event
// item still reaches the stream once; the same transaction replayed with
// its ClientRequestToken (as the SDK retries one whose answer was lost)
// writes nothing and emits no second record; a cancelled one emits none.
func TestStackStreamSeesFrontWrites(t *testing.T) {
	s := startStack(t, Config{StreamAttempts: 1})
	ctx := context.Background()
	records := func() int64 {
		s.Sync()
		s.stream.mu.Lock()
		defer s.stream.mu.Unlock()
		return s.stream.seq
	}
	before := records()
	event := func(id string) *dynamodb.TransactWriteItemsInput {
		return &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("token-" + id), TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(s.Table()), ConditionExpression: aws.String("attribute_not_exists(pk)"), Item: map[string]types.AttributeValue{
				profile.AttrPK: &types.AttributeValueMemberS{Value: profile.EventPK(id)},
				profile.AttrSK: &types.AttributeValueMemberS{Value: profile.SKEvent},
				"event":        &types.AttributeValueMemberS{Value: "not json: the router reports it as poison"},
			}}},
		}}
	}
	if _, err := s.ddb.TransactWriteItems(ctx, event("e1")); err != nil {
		t.Fatal(err)
	}
	if got := records() - before; got != 1 {
		t.Fatalf("%d stream records after one transaction, want 1", got)
	}
	if _, err := s.ddb.TransactWriteItems(ctx, event("e1")); err != nil {
		t.Fatalf("replay with the same token: %v, want success", err)
	}
	if got := records() - before; got != 1 {
		t.Fatalf("%d stream records after the replay, want 1", got)
	}
	again := event("e1")
	again.ClientRequestToken = aws.String("another token")
	var tce *types.TransactionCanceledException
	if _, err := s.ddb.TransactWriteItems(ctx, again); !errors.As(err, &tce) {
		t.Fatalf("same event, new token: %v, want TransactionCanceledException", err)
	}
	if got := records() - before; got != 1 {
		t.Fatalf("%d stream records after a cancelled transaction, want 1", got)
	}
	// The one record, poison to the router, went to the dead letters
	// (one attempt): proof that the replays added no record.
	if dl := s.DeadLetters(); len(dl) != 1 {
		t.Fatalf("dead letters: %+v, want the one record", dl)
	}
}
