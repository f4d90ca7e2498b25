package awsenv_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/awsenv"
	"github.com/parcours/parcours/internal/sdkhttp"
)

// tlsDynamoDB is a TLS server answering every DynamoDB call with an empty
// Scan, recording the requests' Authorization and session token headers;
// bundle is a PEM file of its certificate.
func tlsDynamoDB(t *testing.T) (srv *httptest.Server, bundle string, seen func() []http.Header) {
	t.Helper()
	var mu sync.Mutex
	var hs []http.Header
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hs = append(hs, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"Count":0,"ScannedCount":0,"Items":[]}`))
	}))
	t.Cleanup(srv.Close)
	bundle = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, bundle, func() []http.Header { mu.Lock(); defer mu.Unlock(); return hs }
}

func scan(cfg aws.Config) error {
	_, err := dynamodb.NewFromConfig(cfg).Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("parcours")})
	return err
}

// noGlobalEndpoint unsets AWS_ENDPOINT_URL for the test: the SDK's service
// clients read it from the process environment themselves.
func noGlobalEndpoint(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	if err := os.Unsetenv("AWS_ENDPOINT_URL"); err != nil {
		t.Fatal(err)
	}
}

// TestLambda: the environment Lambda gives a function (region, the role's
// temporary keys) plus the project's endpoint variables and a CA bundle
// is enough to call DynamoDB; the request is signed with those keys for
// that region.
func TestLambda(t *testing.T) {
	noGlobalEndpoint(t)
	srv, bundle, seen := tlsDynamoDB(t)
	env := map[string]string{"AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN": "token-1", "AWS_ENDPOINT_URL_DYNAMODB": srv.URL, "AWS_CA_BUNDLE": bundle, "AWS_MAX_ATTEMPTS": "2"}
	cfg, err := awsenv.Lambda(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.HTTPClient.(sdkhttp.Client); !ok {
		t.Errorf("HTTPClient is %T, want sdkhttp.Client", cfg.HTTPClient)
	}
	if cfg.Region != "eu-west-3" || cfg.RetryMaxAttempts != 2 || cfg.BaseEndpoint != nil {
		t.Errorf("region %q, max attempts %d, base endpoint %v", cfg.Region, cfg.RetryMaxAttempts, cfg.BaseEndpoint)
	}
	if err := scan(cfg); err != nil {
		t.Fatalf("scan over TLS with the bundle: %v", err)
	}
	hs := seen()
	if len(hs) != 1 {
		t.Fatalf("%d requests, want 1", len(hs))
	}
	if a := hs[0].Get("Authorization"); !strings.Contains(a, "Credential=ASIAEXAMPLE/") || !strings.Contains(a, "/eu-west-3/dynamodb/aws4_request") {
		t.Errorf("Authorization %q: not signed with the environment's key for eu-west-3", a)
	}
	if tok := hs[0].Get("X-Amz-Security-Token"); tok != "token-1" {
		t.Errorf("session token %q, want token-1", tok)
	}

	// Without the bundle, the server's certificate is not trusted.
	delete(env, "AWS_CA_BUNDLE")
	cfg, err = awsenv.Lambda(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := scan(cfg); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("scan without the bundle: %v, want a certificate error", err)
	}
}

// TestLambdaEndpoints: AWS_ENDPOINT_URL is every client's endpoint unless
// a service has its own; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS drops both.
func TestLambdaEndpoints(t *testing.T) {
	noGlobalEndpoint(t)
	base := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
	for _, c := range []struct {
		name string
		env  map[string]string
		want string // the DynamoDB client's BaseEndpoint, "" for none
	}{
		{"none", nil, ""},
		{"global", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "http://127.0.0.1:1"},
		{"service", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2"}, "http://127.0.0.1:2"},
		{"ignored", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := awsenv.Lambda(func(k string) string {
				if v, ok := c.env[k]; ok {
					return v
				}
				return base[k]
			})
			if err != nil {
				t.Fatal(err)
			}
			got := aws.ToString(dynamodb.NewFromConfig(cfg).Options().BaseEndpoint)
			if got != c.want {
				t.Errorf("DynamoDB endpoint %q, want %q", got, c.want)
			}
		})
	}
}

func TestLambdaRejects(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
	for _, c := range []struct {
		name, key, value, want string
	}{
		{"no region", "AWS_REGION", "", "missing environment variable AWS_REGION"},
		{"no key id", "AWS_ACCESS_KEY_ID", "", "missing environment variable AWS_ACCESS_KEY_ID"},
		{"no secret", "AWS_SECRET_ACCESS_KEY", "", "missing environment variable AWS_SECRET_ACCESS_KEY"},
		{"bad max attempts", "AWS_MAX_ATTEMPTS", "three", `AWS_MAX_ATTEMPTS "three": want a positive integer`},
		{"zero max attempts", "AWS_MAX_ATTEMPTS", "0", `AWS_MAX_ATTEMPTS "0": want a positive integer`},
		{"bad retry mode", "AWS_RETRY_MODE", "eager", "AWS_RETRY_MODE: "},
		{"missing bundle", "AWS_CA_BUNDLE", filepath.Join(t.TempDir(), "none.pem"), "AWS_CA_BUNDLE: open "},
		{"bundle without certificates", "AWS_CA_BUNDLE", empty, "AWS_CA_BUNDLE " + empty + ": no PEM certificate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := awsenv.Lambda(func(k string) string {
				if k == c.key {
					return c.value
				}
				return ok[k]
			})
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	// AWS_DEFAULT_REGION stands in for AWS_REGION.
	cfg, err := awsenv.Lambda(func(k string) string {
		if k == "AWS_REGION" {
			return ""
		}
		if k == "AWS_DEFAULT_REGION" {
			return "ap-south-1"
		}
		return ok[k]
	})
	if err != nil || cfg.Region != "ap-south-1" {
		t.Errorf("AWS_DEFAULT_REGION: %q, %v", cfg.Region, err)
	}
}
