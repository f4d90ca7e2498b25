package devstack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postJSON(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWelcomeThroughAPIAndConsole drives the stack only over HTTP: the
// replay of a Standard Webhooks fixture (re-signed at the stack's time),
// the JSON API and the console pages.
func TestWelcomeThroughAPIAndConsole(t *testing.T) {
	s := startStack(t, Config{})
	fx, err := os.ReadFile(filepath.Join(repoRoot, "events/standard/consent-changed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := postJSON(t, s.URL()+"/_dev/api/replay", string(fx)); code != 200 || !strings.Contains(body, `"stored"`) {
		t.Fatalf("replay: %d %s", code, body)
	}

	var outbox []Email
	code, body := get(t, s.URL()+"/_dev/api/outbox")
	if err := json.Unmarshal([]byte(body), &outbox); code != 200 || err != nil {
		t.Fatalf("outbox: %d %s", code, body)
	}
	if len(outbox) != 1 || outbox[0].Journey != "welcome" || outbox[0].Step != "welcome-1" || outbox[0].To[0] != "erin.petit@example.com" {
		t.Fatalf("outbox after sign-up: %+v", outbox)
	}
	if outbox[0].Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
		t.Errorf("headers %v", outbox[0].Headers)
	}

	var xs []Execution
	_, body = get(t, s.URL()+"/_dev/api/executions?journey=welcome&profile=Erin.Petit@example.com")
	if err := json.Unmarshal([]byte(body), &xs); err != nil || len(xs) != 1 || xs[0].Status != "RUNNING" {
		t.Fatalf("executions: %s", body)
	}
	_, body = get(t, s.URL()+"/_dev/api/executions?journey=abandoned-cart")
	if strings.TrimSpace(body) != "[]" {
		t.Errorf("abandoned-cart executions: %s", body)
	}
	var d ExecutionDetail
	_, body = get(t, s.URL()+"/_dev/api/executions/"+xs[0].Name)
	if err := json.Unmarshal([]byte(body), &d); err != nil || len(d.States) < 2 || !d.States[0].EnteredAt.Equal(start) {
		t.Fatalf("execution detail: %s", body)
	}
	if code, body := get(t, s.URL()+"/_dev/api/executions/nope"); code != 404 || !strings.Contains(body, "execution not found") {
		t.Errorf("unknown execution: %d %s", code, body)
	}

	code, body = get(t, s.URL()+"/_dev/api/profiles/ERIN.PETIT@example.com")
	if code != 200 || !strings.Contains(body, `"subscribed": true`) || !strings.Contains(body, `"orders": []`) {
		t.Errorf("profile: %d %s", code, body)
	}
	if code, body := get(t, s.URL()+"/_dev/api/profiles/nobody@example.com"); code != 404 || !strings.Contains(body, `"no profile for this email"`) {
		t.Errorf("missing profile: %d %s", code, body)
	}

	for _, tc := range []struct{ body, want string }{
		{`{"duration":"soon"}`, `duration \"soon\": want a positive duration such as 90m, 24h, 3d or 2w`},
		{`{"duration":"-1h"}`, `duration \"-1h\": want a positive duration such as 90m, 24h, 3d or 2w`},
		{`nope`, `body must be JSON: {\"duration\": \"24h\"}`},
	} {
		if code, body := postJSON(t, s.URL()+"/_dev/api/clock/advance", tc.body); code != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("advance %s: %d %s", tc.body, code, body)
		}
	}
	if s.Now() != start {
		t.Fatalf("a rejected advance moved the clock to %v", s.Now())
	}
	code, body = postJSON(t, s.URL()+"/_dev/api/clock/advance", `{"duration":"2d"}`)
	if code != 200 || !strings.Contains(body, `"now": "2026-03-04T09:00:00Z"`) {
		t.Fatalf("advance: %d %s", code, body)
	}
	if got := journeyEmails(s, "welcome"); len(got) != 2 || got[1].Step != "welcome-2" {
		t.Fatalf("welcome emails after 2 days: %+v", got)
	}

	// The console.
	for _, tc := range []struct{ path, want string }{
		{"/_dev/", outbox[0].Subject},
		{"/_dev/outbox/" + outbox[0].ID, `<iframe class="email" id="email-html" title="email HTML part" sandbox=`},
		{"/_dev/outbox/" + outbox[0].ID, `id="unsubscribe" href="` + s.URL() + `/unsubscribe?t=`},
		{"/_dev/profiles/erin.petit@example.com", `href="/_dev/executions/` + xs[0].Name},
		{"/_dev/profiles/erin.petit@example.com", `<span class="at">&#43;2d</span>`},
		{"/_dev/journeys", `href="/_dev/journeys/win-back"`},
		{"/_dev/journeys/welcome", `<table class="graph" id="graph">`},
		{"/_dev/executions/" + xs[0].Name, "Wait 2d"},
		{"/_dev/static/console.css", "ol.timeline"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, body := get(t, s.URL()+tc.path)
			if code != 200 || !strings.Contains(body, tc.want) {
				t.Errorf("GET %s: %d, want 200 with %q", tc.path, code, tc.want)
			}
		})
	}
	// The email's HTML is escaped into srcdoc, never inlined into the page.
	_, page := get(t, s.URL()+"/_dev/outbox/"+outbox[0].ID)
	if strings.Contains(page, outbox[0].HTML) {
		t.Error("email HTML is inlined unescaped in the console page")
	}
	if code, _ := get(t, s.URL()+"/_dev/outbox/nope"); code != 404 {
		t.Errorf("unknown email: %d", code)
	}

	// The console's clock button.
	resp, err := http.PostForm(s.URL()+"/_dev/clock", map[string][]string{"duration": {"1h"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := start.Add(49 * time.Hour); !s.Now().Equal(want) || resp.StatusCode != 200 {
		t.Errorf("after the +1h button: %v (status %d), want %v", s.Now(), resp.StatusCode, want)
	}
}

// TestPrivacyWebhookErases checks the dev stack wires the eraser into the
// ingest function as the Lambda does: Shopify's customers/redact removes the
// profile a customers/create made.
func TestPrivacyWebhookErases(t *testing.T) {
	s := startStack(t, Config{})
	for _, tc := range []struct{ fixture, want string }{
		{"events/shopify/customers-create.json", `"stored"`},
		{"events/shopify/customers-redact.json", `{"status":"erased"}`},
	} {
		fx, err := os.ReadFile(filepath.Join(repoRoot, tc.fixture))
		if err != nil {
			t.Fatal(err)
		}
		if code, body := postJSON(t, s.URL()+"/_dev/api/replay", string(fx)); code != 200 || !strings.Contains(body, tc.want) {
			t.Fatalf("replay %s: %d %s", tc.fixture, code, body)
		}
	}
	if code, body := get(t, s.URL()+"/_dev/api/profiles/carol@example.com"); code != 404 {
		t.Fatalf("profile after redact: %d %s", code, body)
	}
}

// TestStepFunctionsAPIWithTheSDK reads the stack's Step Functions endpoint
// with the real sfn client: ListExecutions, DescribeExecution,
// GetExecutionHistory (paginated, timestamps as the protocol writes them)
// and StopExecution.
func TestStepFunctionsAPIWithTheSDK(t *testing.T) {
	s := startStack(t, Config{})
	fx, err := os.ReadFile(filepath.Join(repoRoot, "events/standard/consent-changed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := postJSON(t, s.URL()+"/_dev/api/replay", string(fx)); code != 200 {
		t.Fatalf("replay: %d %s", code, body)
	}
	ctx := context.Background()
	c := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	xs := s.Executions("welcome", "")
	if len(xs) != 1 {
		t.Fatalf("welcome executions: %+v", xs)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(xs[0].ARN)})
	if err != nil || d.Status != sfntypes.ExecutionStatusRunning {
		t.Fatalf("describe: %v %+v", err, d)
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: d.StateMachineArn})
	if err != nil || len(list.Executions) != 1 || aws.ToString(list.Executions[0].ExecutionArn) != xs[0].ARN {
		t.Fatalf("list: %v %+v", err, list)
	}
	var events []sfntypes.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(xs[0].ARN), MaxResults: 3})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		events = append(events, page.Events...)
	}
	if len(events) < 4 || events[0].Type != sfntypes.HistoryEventTypeExecutionStarted || !events[0].Timestamp.Equal(start) {
		t.Fatalf("history: %d events, first %+v", len(events), events[0])
	}
	for i, ev := range events {
		if ev.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i, ev.Id)
		}
	}
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(xs[0].ARN), Error: aws.String("Dev.Stopped")}); err != nil {
		t.Fatal(err)
	}
	d, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(xs[0].ARN)})
	if err != nil || d.Status != sfntypes.ExecutionStatusAborted {
		t.Fatalf("after stop: %v %+v", err, d)
	}
}
