package ddbtx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/ddbtx"
	"github.com/parcours/parcours/internal/profile"
)

const (
	putNewEvent  = `{"Put":{"TableName":"tbl","Item":{"pk":{"S":"E#1"},"sk":{"S":"EVENT"},"at":{"N":"5"}},"ConditionExpression":"attribute_not_exists(#pk)","ExpressionAttributeNames":{"#pk":"pk"}}}`
	updateNewRow = `{"Update":{"TableName":"tbl","Key":{"pk":{"S":"P#c"},"sk":{"S":"COUNT"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}}}`
	checkZExists = `{"ConditionCheck":{"TableName":"tbl","Key":{"pk":{"S":"P#z"},"sk":{"S":"PROFILE"}},"ConditionExpression":"attribute_exists(pk)"}}`
)

// serve sends one raw DynamoDB request to h.
func serve(h http.Handler, op, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	h.ServeHTTP(rec, req)
	return rec
}

// TestIdempotencyToken: ClientRequestToken as DynamoDB documents it, on the
// front's clock, over minidyn (which ignores the token).
func TestIdempotencyToken(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	front := ddbtx.New(ddbtest.Handler(server.NewServer()), ddbtx.Options{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}})
	hs := httptest.NewServer(front)
	t.Cleanup(hs.Close)
	db := ddbtest.NewClient(hs.URL, func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} })
	if err := profile.CreateTable(context.Background(), db, "tbl"); err != nil {
		t.Fatal(err)
	}
	count := func() string {
		return serve(front, "GetItem", `{"TableName":"tbl","Key":{"pk":{"S":"P#c"},"sk":{"S":"COUNT"}}}`).Body.String()
	}
	withToken := func(tok string, items ...string) string {
		return `{"ClientRequestToken":"` + tok + `","TransactItems":[` + strings.Join(items, ",") + `]}`
	}
	steps := []struct {
		name       string
		body       string
		advance    time.Duration
		status     int
		errType    string
		wantCount  string
		wantReplay bool
	}{
		{name: "first use applies", body: withToken("tok-1", updateNewRow), status: 200, wantCount: `"n":{"N":"1"}`},
		{name: "same token, same request: success, not applied again", body: withToken("tok-1", updateNewRow), status: 200, wantCount: `"n":{"N":"1"}`, wantReplay: true},
		{name: "same request, keys in another order: same parameters", body: `{"TransactItems":[` + updateNewRow + `],"ClientRequestToken":"tok-1"}`, status: 200, wantCount: `"n":{"N":"1"}`, wantReplay: true},
		{name: "same token, other request: mismatch, not applied", body: withToken("tok-1", updateNewRow, putNewEvent), status: 400, errType: "IdempotentParameterMismatchException", wantCount: `"n":{"N":"1"}`},
		{name: "another token applies", body: withToken("tok-2", updateNewRow), status: 200, wantCount: `"n":{"N":"2"}`},
		{name: "a cancelled transaction's token is not remembered (1)", body: withToken("tok-3", updateNewRow, checkZExists), status: 400, errType: "TransactionCanceledException", wantCount: `"n":{"N":"2"}`},
		{name: "a cancelled transaction's token is not remembered (2)", body: withToken("tok-3", updateNewRow, checkZExists), status: 400, errType: "TransactionCanceledException", wantCount: `"n":{"N":"2"}`},
		{name: "within 10 minutes: still a replay", advance: 9 * time.Minute, body: withToken("tok-1", updateNewRow), status: 200, wantCount: `"n":{"N":"2"}`, wantReplay: true},
		{name: "after 10 minutes: a new request", advance: 2 * time.Minute, body: withToken("tok-1", updateNewRow), status: 200, wantCount: `"n":{"N":"3"}`},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			mu.Lock()
			now = now.Add(s.advance)
			mu.Unlock()
			rec := serve(front, "TransactWriteItems", s.body)
			if rec.Code != s.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, s.status, rec.Body)
			}
			if s.errType != "" && !strings.Contains(rec.Body.String(), `"__type":"`+s.errType+`"`) {
				t.Errorf("answer %s, want %s", rec.Body, s.errType)
			}
			if got := rec.Header().Get(ddbtx.ReplayHeader) != ""; got != s.wantReplay {
				t.Errorf("replay header %v, want %v", got, s.wantReplay)
			}
			if c := count(); !strings.Contains(c, s.wantCount) {
				t.Errorf("counter %s, want %s", c, s.wantCount)
			}
		})
	}
}
