package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/ddbtest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startDev runs `parcours dev` on a random loopback port and returns its URL.
func startDev(t *testing.T) (base string, stdout *lockedBuffer, stop func() int) {
	t.Helper()
	t.Setenv("PORT", "0")
	for _, k := range []string{"SHOPIFY_WEBHOOK_SECRET", "WOOCOMMERCE_WEBHOOK_SECRET", "STANDARD_WEBHOOK_SECRET"} {
		t.Setenv(k, "")
	}
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"dev"}, stdout, stderr) }()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil && strings.Contains(stdout.String(), "Ctrl-C") {
			stopped := false
			code := 0
			t.Cleanup(func() {
				if !stopped {
					cancel()
					<-done
				}
			})
			return m[1], stdout, func() int { stopped = true; cancel(); code = <-done; return code }
		}
		select {
		case code := <-done:
			t.Fatalf("parcours dev exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
		default:
		}
	}
	cancel()
	t.Fatalf("parcours dev did not start:\n%s\n%s", stdout.String(), stderr.String())
	return "", nil, nil
}

func do(t *testing.T, method, url string, headers map[string]string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func readFixture(t *testing.T, path string) ([]byte, events.APIGatewayV2HTTPRequest) {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + path)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return raw, ev
}

func TestDev(t *testing.T) {
	base, stdout, stop := startDev(t)
	for _, want := range []string{
		base + "/webhooks/shopify", base + "/webhooks/woocommerce", base + "/webhooks/standard",
		"parcours-dev-shopify-secret", "SHOPIFY_WEBHOOK_SECRET", base + "/_dev/api/profiles/{email}",
		"curl -s --data-binary @events/shopify/orders-create.json " + base + "/_dev/api/replay",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, stdout.String())
		}
	}

	// A shop's POST, over real HTTP: headers and raw body as the fixture holds them.
	_, ev := readFixture(t, "shopify/orders-create.json")
	headers := map[string]string{}
	for k, v := range ev.Headers {
		if k != "content-length" {
			headers[k] = v
		}
	}
	if code, body := do(t, "POST", base+"/webhooks/shopify", headers, []byte(ev.Body)); code != 200 || body != `{"status":"stored"}` {
		t.Fatalf("webhook: %d %s", code, body)
	}
	headers["x-shopify-hmac-sha256"] = "AAAA"
	if code, body := do(t, "POST", base+"/webhooks/shopify", headers, []byte(ev.Body)); code != 401 || body != `{"status":"rejected","reason":"invalid signature"}` {
		t.Fatalf("bad signature: %d %s", code, body)
	}
	if code, body := do(t, "POST", base+"/webhooks/magento", nil, []byte("{}")); code != 404 || body != `{"status":"rejected","reason":"unknown source"}` {
		t.Fatalf("unknown source: %d %s", code, body)
	}

	// The printed curl line: replay a fixture (this one base64-encoded by the gateway).
	raw, _ := readFixture(t, "shopify/orders-create-base64.json")
	if code, body := do(t, "POST", base+"/_dev/api/replay", nil, raw); code != 200 || body != `{"status":"duplicate"}` {
		t.Fatalf("replay: %d %s", code, body)
	}
	// WooCommerce's form-encoded ping arrives base64-encoded through the conversion.
	raw, _ = readFixture(t, "woocommerce/ping.json")
	if code, body := do(t, "POST", base+"/_dev/api/replay", nil, raw); code != 200 {
		t.Fatalf("ping: %d %s", code, body)
	}

	code, body := do(t, "GET", base+"/_dev/api/profiles/Bob@Example.com", nil, nil)
	var got struct {
		Profile struct {
			Email      string `json:"email"`
			OrderCount int    `json:"order_count"`
		} `json:"profile"`
		Orders []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"orders"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("profile: %d %s %v", code, body, err)
	}
	if got.Profile.Email != "bob@example.com" || got.Profile.OrderCount != 1 || len(got.Orders) != 1 || got.Orders[0].Status != "placed" {
		t.Fatalf("profile: %s", body)
	}
	if code, body := do(t, "GET", base+"/_dev/api/profiles/nobody@example.com", nil, nil); code != 404 {
		t.Fatalf("missing profile: %d %s", code, body)
	}

	// The same port is a DynamoDB endpoint for any SDK or the AWS CLI.
	out, err := ddbtest.NewClient(base).Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(devTable)})
	if err != nil || len(out.Items) == 0 {
		t.Fatalf("scan through the dev port: %v, %d items", err, len(out.Items))
	}

	if code := stop(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if !strings.Contains(stdout.String(), "parcours dev: stopped") {
		t.Fatal("no shutdown message")
	}
}

func TestDevPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	t.Setenv("PORT", port)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"dev"}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit code %d", code)
	}
	if want := "parcours dev: listen on 127.0.0.1:" + port + ": the port is already in use (is another parcours dev running? pick another port with PORT=<port>)\n"; stderr.String() != want {
		t.Fatalf("stderr = %q", stderr.String())
	}
}
