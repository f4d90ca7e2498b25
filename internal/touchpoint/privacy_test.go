package touchpoint

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestDecodePrivacy(t *testing.T) {
	sh := devSources(t)["shopify"].(*Shopify)
	cases := []struct {
		name    string
		headers http.Header
		body    string
		want    PrivacyRequest
		wantErr string // InputError text
	}{
		{"redact by email and id", shopifyHeaders("customers/redact"),
			`{"shop_domain":"parcours-demo.myshopify.com","customer":{"id":18446744073709551615,"email":" Carol@Example.COM "},"orders_to_redact":[5981234600001,"42"]}`,
			PrivacyRequest{Kind: CustomerRedact, ID: "shopify:parcours-demo.myshopify.com:customers/redact:ev-1", Source: "shopify",
				Shop: "parcours-demo.myshopify.com", Email: "carol@example.com", CustomerID: "18446744073709551615", OrderIDs: []string{"5981234600001", "42"}}, ""},
		{"redact by id only", shopifyHeaders("customers/redact"), `{"customer":{"id":7}}`,
			PrivacyRequest{Kind: CustomerRedact, ID: "shopify:parcours-demo.myshopify.com:customers/redact:ev-1", Source: "shopify",
				Shop: "parcours-demo.myshopify.com", CustomerID: "7"}, ""},
		{"data request uses its own id", shopifyHeaders("customers/data_request"),
			`{"customer":{"email":"a@b.example"},"orders_requested":[1],"data_request":{"id":9999}}`,
			PrivacyRequest{Kind: CustomerDataRequest, ID: "shopify:parcours-demo.myshopify.com:data_request:9999", Source: "shopify",
				Shop: "parcours-demo.myshopify.com", Email: "a@b.example", OrderIDs: []string{"1"}}, ""},
		{"shop redact", shopifyHeaders("shop/redact"), `{"shop_id":1,"shop_domain":"PARCOURS-demo.myshopify.com"}`,
			PrivacyRequest{Kind: ShopRedact, ID: "shopify:parcours-demo.myshopify.com:shop/redact:ev-1", Source: "shopify",
				Shop: "parcours-demo.myshopify.com"}, ""},
		{"no customer", shopifyHeaders("customers/redact"), `{"customer":{}}`, PrivacyRequest{}, "customer: email or id required"},
		{"customer null", shopifyHeaders("customers/redact"), `{"customer":null}`, PrivacyRequest{}, "customer: email or id required"},
		{"bad email", shopifyHeaders("customers/redact"), `{"customer":{"email":"not-an-address"}}`, PrivacyRequest{}, "customer.email: not an email address"},
		{"id as float", shopifyHeaders("customers/redact"), `{"customer":{"id":1.5}}`, PrivacyRequest{}, "customer.id: expected an id (string or integer), got number 1.5"},
		{"other shop in body", shopifyHeaders("shop/redact"), `{"shop_domain":"someone-else.myshopify.com"}`, PrivacyRequest{}, "shop_domain: does not match X-Shopify-Shop-Domain"},
		{"malformed", shopifyHeaders("customers/redact"), `{"customer":`, PrivacyRequest{}, "malformed JSON"},
		{"too deep", shopifyHeaders("shop/redact"), strings.Repeat("[", MaxDepth+1), PrivacyRequest{}, "JSON nested deeper than 32 levels"},
		{"no shop header", hdrs("x-shopify-topic", "shop/redact", "x-shopify-event-id", "e"), `{}`, PrivacyRequest{}, "X-Shopify-Shop-Domain: header missing"},
		{"no event id", hdrs("x-shopify-topic", "shop/redact", "x-shopify-shop-domain", "s.myshopify.com"), `{}`, PrivacyRequest{}, "X-Shopify-Event-Id: header missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := sh.DecodePrivacy(Request{Headers: tc.headers, Body: []byte(tc.body)})
			if !ok {
				t.Fatal("not recognised as a privacy request")
			}
			if tc.wantErr != "" {
				var ie *InputError
				if !errors.As(err, &ie) || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want InputError %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
	t.Run("other topics are not privacy requests", func(t *testing.T) {
		_, ok, err := sh.DecodePrivacy(Request{Headers: shopifyHeaders("orders/create"), Body: []byte(`{`)})
		if ok || err != nil {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
	})
}
