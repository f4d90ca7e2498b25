package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	_, err = Start(context.Background(), Config{Dir: repoRoot, Addr: addr})
	want := "listen on " + addr + ": the port is already in use (is another parcours dev running? pick another port with PORT=<port>)"
	if err == nil || err.Error() != want {
		t.Fatalf("Start on a taken port: %v\nwant: %s", err, want)
	}
	var pe *PortInUseError
	if !errors.As(err, &pe) {
		t.Errorf("error is %T, want *PortInUseError", err)
	}
}

func TestNotLoopback(t *testing.T) {
	_, err := Start(context.Background(), Config{Dir: repoRoot, Addr: "0.0.0.0:0"})
	want := `address "0.0.0.0:0": the dev stack listens on loopback only (127.0.0.1)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// withTemplate makes a repository copy whose template.yaml is text.
func withTemplate(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"statemachines", "journeys"} {
		if err := os.Symlink(filepath.Join(repoRoot, sub), filepath.Join(dir, sub)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInvalidTemplate(t *testing.T) {
	for _, tc := range []struct {
		name, template, want string
	}{
		{"yaml syntax", "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n\tProperties: {}\n",
			"template.yaml: line 3: found a tab character that violates indentation"},
		{"not a mapping", "- a\n- b\n", "template.yaml: not a YAML mapping (want AWSTemplateFormatVersion, Resources, …)"},
		{"no resources", "AWSTemplateFormatVersion: \"2010-09-09\"\n", "template.yaml: no Resources mapping"},
		{"resource without type", "Resources:\n  Table:\n    Properties: {}\n", "template.yaml: line 3: resource Table has no Type"},
		{"route without path", "Resources:\n  IngestFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Hook:\n          Type: HttpApi\n          Properties:\n            Method: POST\n",
			"template.yaml: line 7: IngestFunction event Hook: an HttpApi event needs Path and Method (the dev stack does not serve a catch-all API)"},
		{"state machine without definition", "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Name: m\n",
			"template.yaml: line 5: state machine M has no DefinitionUri (the dev stack runs the compiled statemachines/*.asl.json)"},
		{"unknown reference", "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: statemachines/welcome.asl.json\n      DefinitionSubstitutions:\n        TableName: !Ref Tabel\n",
			"template.yaml: line 7: M DefinitionSubstitutions.TableName: !Ref Tabel: no such parameter or resource"},
		{"missing definition file", "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: statemachines/nope.asl.json\n",
			"state machine M: DefinitionUri statemachines/nope.asl.json: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := withTemplate(t, tc.template)
			s, err := Start(context.Background(), Config{Dir: dir})
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
	t.Run("no template", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Start(context.Background(), Config{Dir: dir})
		want := "template.yaml not found in " + dir + " (run parcours dev from the repository root)"
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
	t.Run("listener released", func(t *testing.T) {
		// A failed start must not keep the port.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if _, err := Start(context.Background(), Config{Dir: withTemplate(t, "- a\n"), Addr: addr}); err == nil {
			t.Fatal("Start succeeded")
		}
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("port still held after a failed start: %v", err)
		}
		ln.Close()
	})
}

func TestUnknownRoute(t *testing.T) {
	s := startStack(t, Config{})
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"POST", "/nope", 404, `{"message":"Not Found"}`},
		{"GET", "/webhooks/shopify", 405, `{"message":"Method Not Allowed"}`},
		{"POST", "/webhooks/nope", 404, `{"status":"rejected","reason":"unknown source"}`},
		{"GET", "/_dev/api/nope", 404, `{"error":"no such dev API endpoint"}`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.URL()+tc.path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var got, want any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("body %q: %v", b, err)
			}
			_ = json.Unmarshal([]byte(tc.body), &want)
			if resp.StatusCode != tc.status || !reflect.DeepEqual(got, want) {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, b, tc.status, tc.body)
			}
		})
	}
}

func TestMatchRoute(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		ok            bool
		params        map[string]string
	}{
		{"/webhooks/{source}", "/webhooks/shopify", true, map[string]string{"source": "shopify"}},
		{"/webhooks/{source}", "/webhooks/", false, nil},
		{"/webhooks/{source}", "/webhooks/a/b", false, nil},
		{"/webhooks/{source}", "/webhooks/a%20b", true, map[string]string{"source": "a b"}},
		{"/unsubscribe", "/unsubscribe", true, map[string]string{}},
		{"/unsubscribe", "/unsubscribe/x", false, nil},
		{"/assets/{proxy+}", "/assets/a/b.css", true, map[string]string{"proxy": "a/b.css"}},
		{"/assets/{proxy+}", "/assets", false, nil},
	} {
		t.Run(tc.pattern+" "+tc.path, func(t *testing.T) {
			params, ok := matchRoute(tc.pattern, tc.path)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && len(params) != len(tc.params) {
				t.Fatalf("params %v, want %v", params, tc.params)
			}
			for k, v := range tc.params {
				if params[k] != v {
					t.Errorf("param %s = %q, want %q", k, params[k], v)
				}
			}
		})
	}
}
