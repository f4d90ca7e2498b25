package sdkhttp_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/sdkhttp"
)

// slowWriter is a client connection whose goroutine pauses after writing a
// request body, as a writeLoop that is not scheduled in time does on a busy
// machine.
type slowWriter struct {
	net.Conn
	pause time.Duration
}

func (c slowWriter) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if !bytes.HasPrefix(p, []byte("POST ")) { // the body, written after the flushed headers
		time.Sleep(c.pause)
	}
	return n, err
}

// TestLateBodyCheckKeepsTheConnection: the server answers as soon as it
// has the request and sends the body of its answer in two parts; the
// client's writeLoop checks the request body for leftovers only after the
// SDK has closed it. The response must still be read whole.
func TestLateBodyCheckKeepsTheConnection(t *testing.T) {
	items := strings.Repeat(`{"pk":{"S":"PROFILE#ana@example.com"},"sk":{"S":"REF#0123456789abcdef"}},`, 200)
	body := `{"Count":201,"ScannedCount":201,"Items":[` + items + `{"pk":{"S":"x"},"sk":{"S":"y"}}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Body.Read(make([]byte, 1<<16)); err != nil && err.Error() != "EOF" {
			t.Errorf("read request: %v", err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		half := len(body) / 2
		_, _ = w.Write([]byte(body[:half]))
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond) // the rest comes after the client's late check
		_, _ = w.Write([]byte(body[half:]))
	}))
	t.Cleanup(srv.Close)
	slow := func(tr *http.Transport) {
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			return slowWriter{Conn: c, pause: 100 * time.Millisecond}, err
		}
	}
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:  sdkhttp.New(slow),
	})
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("parcours")})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if len(out.Items) != 201 {
		t.Fatalf("%d items, want 201", len(out.Items))
	}
}

// TestLoadDefaultConfig: Wrap keeps what config.LoadDefaultConfig
// resolves (what parcours erase and export use), a custom CA bundle
// included (the SDK adds it only to its own client type).
func TestLoadDefaultConfig(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"Count":0,"ScannedCount":0,"Items":[]}`))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	none := filepath.Join(dir, "none")
	for k, v := range map[string]string{"AWS_CA_BUNDLE": bundle, "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "local",
		"AWS_SECRET_ACCESS_KEY": "local", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_PROFILE": "",
		"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_DYNAMODB": srv.URL} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = sdkhttp.Wrap(cfg.HTTPClient)
	if _, ok := cfg.HTTPClient.(sdkhttp.Client); !ok {
		t.Fatalf("HTTPClient is %T, want sdkhttp.Client", cfg.HTTPClient)
	}
	// The CA bundle is in use: the TLS server's certificate verifies.
	if _, err := dynamodb.NewFromConfig(cfg).Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("parcours")}); err != nil {
		t.Fatalf("scan over TLS with the bundle: %v", err)
	}
}
