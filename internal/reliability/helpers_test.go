package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/devstack"
	"github.com/parcours/parcours/internal/fault"
	"github.com/parcours/parcours/internal/loadtest"
	"github.com/parcours/parcours/internal/touchpoint"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// logBuffer collects the stack's JSON log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the JSON log lines whose msg contains s.
func (l *logBuffer) lines(s string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(l.b.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			if msg, _ := m["msg"].(string); strings.Contains(msg, s) {
				out = append(out, m)
			}
		}
	}
	return out
}

func start(t *testing.T, cfg devstack.Config) *devstack.Stack {
	t.Helper()
	cfg.Dir = repoRoot(t)
	if cfg.Start.IsZero() {
		cfg.Start = loadtest.StartTime
	}
	s, err := devstack.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func secrets(s *devstack.Stack) loadtest.Secrets {
	sec := s.Secrets()
	return loadtest.Secrets{Shopify: sec["SHOPIFY_WEBHOOK_SECRET"], WooCommerce: sec["WOOCOMMERCE_WEBHOOK_SECRET"], Standard: sec["STANDARD_WEBHOOK_SECRET"]}
}

// post sends one delivery and returns the status and body.
func post(t *testing.T, url string, d loadtest.Delivery) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+d.Path, bytes.NewReader(d.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = d.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// postAll sends deliveries with 8 workers and returns each one's status
// and body, in order.
func postAll(t *testing.T, url string, ds []loadtest.Delivery) ([]int, []string) {
	t.Helper()
	status, body := make([]int, len(ds)), make([]string, len(ds))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				status[i], body[i] = post(t, url, ds[i])
			}
		}()
	}
	for i := range ds {
		next <- i
	}
	close(next)
	wg.Wait()
	return status, body
}

// standard builds a signed Standard Webhooks delivery.
func standard(t *testing.T, s *devstack.Stack, id, body string) loadtest.Delivery {
	t.Helper()
	sig, err := touchpoint.SignStandard(secrets(s).Standard, id, s.Now(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Webhook-Id", id)
	h.Set("Webhook-Timestamp", strconv.FormatInt(s.Now().Unix(), 10))
	h.Set("Webhook-Signature", sig)
	return loadtest.Delivery{Path: "/webhooks/standard", Header: h, Body: []byte(body)}
}

func subscribe(t *testing.T, s *devstack.Stack, n int, email string) loadtest.Delivery {
	at := s.Now().Add(-time.Hour).Format(time.RFC3339)
	return standard(t, s, fmt.Sprintf("msg_sub_%d", n), fmt.Sprintf(
		`{"type":"consent_changed","occurred_at":%q,"email":%q,"consent":{"state":"subscribed","updated_at":%q}}`, at, email, at))
}

func order(t *testing.T, s *devstack.Stack, id, email string) loadtest.Delivery {
	at := s.Now().Add(-time.Hour).Format(time.RFC3339)
	return standard(t, s, "msg_"+id, fmt.Sprintf(
		`{"type":"order_placed","occurred_at":%q,"email":%q,"order":{"id":%q,"currency":"EUR","total":"10.00","created_at":%q}}`, at, email, id, at))
}

// items returns the table's items as JSON, keyed "pk sk", leaving out
// the ones whose partition or sort key starts with one of skip.
func items(t *testing.T, s *devstack.Stack, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, it := range ddbtest.Scan(t, ddbtest.NewClient(s.URL()), s.Table()) {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			t.Fatal(err)
		}
		pk, _ := m["pk"].(string)
		sk, _ := m["sk"].(string)
		skipped := false
		for _, p := range skip {
			if strings.HasPrefix(sk, p) || strings.HasPrefix(pk, p) {
				skipped = true
			}
		}
		if skipped {
			continue
		}
		b, _ := json.Marshal(m)
		out[pk+" "+sk] = string(b)
	}
	return out
}

// diffItems lists what differs between two tables.
func diffItems(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "only in the first: "+k)
		} else if v != w {
			d = append(d, fmt.Sprintf("%s:\n  %s\n  %s", k, v, w))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "only in the second: "+k)
		}
	}
	sort.Strings(d)
	return d
}

func eventIDs(t *testing.T, s *devstack.Stack) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, it := range ddbtest.Scan(t, ddbtest.NewClient(s.URL()), s.Table()) {
		if sk, ok := it["sk"].(*types.AttributeValueMemberS); ok && sk.Value == "EVENT" {
			out[strings.TrimPrefix(it["pk"].(*types.AttributeValueMemberS).Value, "EVENT#")] = true
		}
	}
	return out
}

func faultTotal(in *fault.Injector, service fault.Service) int {
	n := 0
	for k, v := range in.Counts() {
		if strings.HasPrefix(k, string(service)+" ") {
			n += v
		}
	}
	return n
}

type deliveryLike = loadtest.Delivery

func slogDiscard() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

// winBackRecord is the stream record of a stored order_placed event item.
func winBackRecord(t *testing.T, seq int, orderID, email string, at time.Time) events.DynamoDBEventRecord {
	t.Helper()
	ev := touchpoint.Event{ID: "standard:" + orderID, Source: "standard", Type: touchpoint.OrderPlaced, OccurredAt: at, Email: email,
		Order: &touchpoint.Order{ID: orderID, Currency: "EUR", Total: "10.00", CreatedAt: at, UpdatedAt: at}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return events.DynamoDBEventRecord{
		EventID: fmt.Sprint("rec-", seq), EventName: string(events.DynamoDBOperationTypeInsert), EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{
			SequenceNumber: fmt.Sprintf("%021d", seq),
			Keys: map[string]events.DynamoDBAttributeValue{
				"pk": events.NewStringAttribute("EVENT#" + ev.ID), "sk": events.NewStringAttribute("EVENT")},
			NewImage: map[string]events.DynamoDBAttributeValue{
				"pk": events.NewStringAttribute("EVENT#" + ev.ID), "sk": events.NewStringAttribute("EVENT"),
				"event": events.NewStringAttribute(string(b)), "email": events.NewStringAttribute(email),
				"type": events.NewStringAttribute(string(ev.Type)),
			},
			StreamViewType: "NEW_IMAGE",
		},
	}
}

func profilesOf(xs []devstack.Execution) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.Profile)
	}
	sort.Strings(out)
	return out
}

func sfnClient(s *devstack.Stack) *sfn.Client {
	return sfn.New(sfn.Options{Region: devstack.LocalRegion, BaseEndpoint: aws.String(s.URL()), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}

// taskFailures counts the TaskFailed events of an execution with the
// given error name, from the stack's GetExecutionHistory. The answer is
// read as JSON rather than through the SDK's sfn client: the dev stack
// writes event timestamps as RFC 3339 strings where the SDK expects epoch
// numbers (reported; not this package's to fix).
func taskFailures(t *testing.T, s *devstack.Stack, arn, errName string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"executionArn": arn, "maxResults": 1000})
	req, _ := http.NewRequest(http.MethodPost, s.URL(), bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.GetExecutionHistory")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Events []struct {
			Type    string `json:"type"`
			Details struct {
				Error string `json:"error"`
			} `json:"taskFailedEventDetails"`
		} `json:"events"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GetExecutionHistory: %d %v", resp.StatusCode, err)
	}
	n := 0
	for _, ev := range out.Events {
		if ev.Type == "TaskFailed" && ev.Details.Error == errName {
			n++
		}
	}
	return n
}
