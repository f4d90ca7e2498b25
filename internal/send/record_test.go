package send_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/touchpoint"
)

// conflictFront answers the first n UpdateItem calls that record a sent
// email with DynamoDB's TransactionConflictException (which the SDK does
// not retry), and passes everything else to the emulator.
func conflictFront(t *testing.T, backend string, n int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	var failed atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".UpdateItem") && bytes.Contains(body, []byte(`":sent"`)) && failed.Load() < n {
			failed.Add(1)
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionConflictException","message":"Transaction is ongoing for the item"}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, &failed
}

// The email has left when its message item is marked sent: a conflict on
// that write is retried by the send function itself, so the item ends
// "sent" with SES's message id, never "sending" (which a retried step
// would read as in doubt). Past recordAttempts the answer is still sent.
func TestRecordSentRetried(t *testing.T) {
	for _, tc := range []struct {
		name      string
		conflicts int32
		status    string
	}{
		{"four conflicts", 4, "sent"},
		{"conflicts past the attempts", 100, "sending"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := ddbtest.Start(t)
			front, failed := conflictFront(t, emu.URL, tc.conflicts)
			db := ddbtest.NewClient(front.URL, func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} })
			e := newEnvOn(t, db, emu.NewTable(t))
			e.addProfile(t, "ana@example.com", touchpoint.ConsentSubscribed, "")

			if got := e.handle(t, req("cart", "reminder", "exec-1", "ana@example.com", marketing)); got.Status != "sent" {
				t.Fatalf("answer %+v, want sent", got)
			}
			if n := len(e.ses.Outbox()); n != 1 {
				t.Fatalf("outbox = %d, want 1", n)
			}
			out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &e.table, ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "MESSAGE#exec-1"}, "sk": &types.AttributeValueMemberS{Value: "STEP#reminder"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := out.Item["status"].(*types.AttributeValueMemberS); s == nil || s.Value != tc.status {
				t.Errorf("message item status = %v, want %s", out.Item["status"], tc.status)
			}
			if want := min(tc.conflicts, 5); failed.Load() != want {
				t.Errorf("%d conflicts answered, want %d (the attempts)", failed.Load(), want)
			}
		})
	}
}
