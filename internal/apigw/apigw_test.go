package apigw_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/apigw"
)

func TestRequest(t *testing.T) {
	r := httptest.NewRequest("POST", "http://127.0.0.1:8080/webhooks/shopify?a=1&a=2&b=x%20y", strings.NewReader(`{"id":1}`))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("X-Shopify-Hmac-Sha256", "abc=")
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	r.Header.Set("Cookie", "s=1; t=2")
	r.Header.Set("User-Agent", "Shopify-Captain-Hook")
	got, err := apigw.Request(r, "POST /webhooks/{source}", map[string]string{"source": "shopify"}, apigw.MaxBody)
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders := map[string]string{
		"content-type": "application/json; charset=utf-8", "x-shopify-hmac-sha256": "abc=", "x-multi": "one,two",
		"user-agent": "Shopify-Captain-Hook", "host": "127.0.0.1:8080", "content-length": "8",
	}
	if !reflect.DeepEqual(got.Headers, wantHeaders) {
		t.Errorf("headers = %v", got.Headers)
	}
	if !reflect.DeepEqual(got.Cookies, []string{"s=1", "t=2"}) {
		t.Errorf("cookies = %v", got.Cookies)
	}
	if !reflect.DeepEqual(got.QueryStringParameters, map[string]string{"a": "1,2", "b": "x y"}) || got.RawQueryString != "a=1&a=2&b=x%20y" {
		t.Errorf("query = %v %q", got.QueryStringParameters, got.RawQueryString)
	}
	if got.Body != `{"id":1}` || got.IsBase64Encoded {
		t.Errorf("body = %q base64=%v", got.Body, got.IsBase64Encoded)
	}
	c := got.RequestContext
	if got.Version != "2.0" || got.RawPath != "/webhooks/shopify" || c.RouteKey != "POST /webhooks/{source}" || c.HTTP.Method != "POST" ||
		c.HTTP.Path != "/webhooks/shopify" || c.HTTP.UserAgent != "Shopify-Captain-Hook" || c.Stage != "$default" || c.RequestID == "" ||
		got.PathParameters["source"] != "shopify" || c.DomainName != "127.0.0.1" {
		t.Errorf("request = %+v", got)
	}
}

func TestRequestBodyEncoding(t *testing.T) {
	tests := []struct {
		contentType string
		base64      bool
	}{
		{"application/json", false},
		{"text/plain", false},
		{"application/vnd.api+json", false},
		{"application/xml", false},
		{"application/x-www-form-urlencoded", true}, // as API Gateway HTTP APIs deliver form bodies
		{"application/octet-stream", true},
		{"", true},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/x", strings.NewReader("webhook_id=7"))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			got, err := apigw.Request(r, "POST /x", nil, apigw.MaxBody)
			if err != nil {
				t.Fatal(err)
			}
			want := "webhook_id=7"
			if tt.base64 {
				want = base64.StdEncoding.EncodeToString([]byte(want))
			}
			if got.IsBase64Encoded != tt.base64 || got.Body != want {
				t.Fatalf("body = %q base64=%v", got.Body, got.IsBase64Encoded)
			}
		})
	}
}

func TestRequestTooLarge(t *testing.T) {
	r := httptest.NewRequest("POST", "/x", strings.NewReader("12345"))
	if _, err := apigw.Request(r, "POST /x", nil, 4); !errors.Is(err, apigw.ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteResponse(t *testing.T) {
	w := httptest.NewRecorder()
	err := apigw.WriteResponse(w, events.APIGatewayV2HTTPResponse{
		StatusCode: 202, Headers: map[string]string{"Content-Type": "application/json"},
		MultiValueHeaders: map[string][]string{"X-A": {"1", "2"}}, Cookies: []string{"k=v"},
		Body: base64.StdEncoding.EncodeToString([]byte(`{"ok":true}`)), IsBase64Encoded: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != 202 || w.Body.String() != `{"ok":true}` || w.Header().Get("Content-Type") != "application/json" ||
		!reflect.DeepEqual(w.Header().Values("X-A"), []string{"1", "2"}) || w.Header().Get("Set-Cookie") != "k=v" {
		t.Fatalf("response = %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	w = httptest.NewRecorder()
	if err := apigw.WriteResponse(w, events.APIGatewayV2HTTPResponse{Body: "x"}); err != nil || w.Code != http.StatusOK {
		t.Fatalf("default status = %d, %v", w.Code, err)
	}
}
