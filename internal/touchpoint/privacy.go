package touchpoint

import (
	"strconv"
	"strings"
)

// PrivacyKind is what a privacy request asks for.
type PrivacyKind string

// The privacy requests (Shopify's mandatory compliance webhooks).
const (
	// CustomerRedact: erase everything stored about one customer.
	CustomerRedact PrivacyKind = "customer_redact"
	// CustomerDataRequest: produce everything stored about one customer.
	CustomerDataRequest PrivacyKind = "customer_data_request"
	// ShopRedact: erase everything stored for one shop.
	ShopRedact PrivacyKind = "shop_redact"
)

// PrivacyRequest is a verified privacy request. docs/privacy.md says what
// parcours does with each kind.
type PrivacyRequest struct {
	Kind PrivacyKind `json:"kind"`
	// ID names the request: "<source>:<shop>:<topic>:<event id>", or the
	// data request's own id for CustomerDataRequest when the payload has one.
	ID     string `json:"id"`
	Source string `json:"source"`
	Shop   string `json:"shop"`
	// Email (normalized) and CustomerID identify the customer; either may
	// be empty. Empty for ShopRedact.
	Email      string   `json:"email,omitempty"`
	CustomerID string   `json:"customer_id,omitempty"`
	OrderIDs   []string `json:"order_ids,omitempty"` // orders_to_redact / orders_requested
}

// PrivacySource is a Source that also carries privacy requests.
type PrivacySource interface {
	Source
	// DecodePrivacy decodes a verified request. ok is false when the
	// request is not a privacy request (then Decode handles it). A
	// malformed privacy request is an *InputError.
	DecodePrivacy(r Request) (req PrivacyRequest, ok bool, err error)
}

// shopifyPrivacy maps Shopify's compliance topics to their kind.
var shopifyPrivacy = map[string]PrivacyKind{
	"customers/redact":       CustomerRedact,
	"customers/data_request": CustomerDataRequest,
	"shop/redact":            ShopRedact,
}

type shopifyPrivacyDoc struct {
	ShopDomain string `json:"shop_domain"`
	Customer   *struct {
		ID    jsonID `json:"id"`
		Email string `json:"email"`
	} `json:"customer"`
	OrdersToRedact  []jsonID `json:"orders_to_redact"`
	OrdersRequested []jsonID `json:"orders_requested"`
	DataRequest     *struct {
		ID jsonID `json:"id"`
	} `json:"data_request"`
}

// DecodePrivacy implements PrivacySource for customers/redact,
// customers/data_request and shop/redact. The shop is the
// X-Shopify-Shop-Domain header (the body's shop_domain must agree when
// present); a customer request needs the customer's email or id.
func (s *Shopify) DecodePrivacy(r Request) (PrivacyRequest, bool, error) {
	topic := strings.TrimSpace(r.Headers.Get("X-Shopify-Topic"))
	kind, ok := shopifyPrivacy[topic]
	if !ok {
		return PrivacyRequest{}, false, nil
	}
	shop := strings.ToLower(strings.TrimSpace(r.Headers.Get("X-Shopify-Shop-Domain")))
	if shop == "" {
		return PrivacyRequest{}, true, &InputError{Field: "X-Shopify-Shop-Domain", Reason: "header missing"}
	}
	eventID := strings.TrimSpace(r.Headers.Get("X-Shopify-Event-Id"))
	if eventID == "" {
		eventID = strings.TrimSpace(r.Headers.Get("X-Shopify-Webhook-Id"))
	}
	if eventID == "" {
		return PrivacyRequest{}, true, &InputError{Field: "X-Shopify-Event-Id", Reason: "header missing"}
	}
	if len(shop) > 255 || len(eventID) > 255 {
		return PrivacyRequest{}, true, &InputError{Reason: "header longer than 255 bytes"}
	}
	var doc shopifyPrivacyDoc
	if err := decodeJSON(r.Body, &doc); err != nil {
		return PrivacyRequest{}, true, err
	}
	if d := strings.ToLower(strings.TrimSpace(doc.ShopDomain)); d != "" && d != shop {
		return PrivacyRequest{}, true, &InputError{Field: "shop_domain", Reason: "does not match X-Shopify-Shop-Domain"}
	}
	req := PrivacyRequest{Kind: kind, ID: "shopify:" + shop + ":" + topic + ":" + eventID, Source: "shopify", Shop: shop}
	if kind == ShopRedact {
		return req, true, nil
	}
	c := &conv{}
	if doc.Customer != nil {
		req.Email = c.email(f("customer.email"), doc.Customer.Email)
		req.CustomerID = c.id(f("customer.id"), doc.Customer.ID)
	}
	if req.Email == "" && req.CustomerID == "" && c.err == nil {
		c.fail(f("customer"), "email or id required")
	}
	orders, list := doc.OrdersToRedact, "orders_to_redact"
	if kind == CustomerDataRequest {
		orders, list = doc.OrdersRequested, "orders_requested"
		if doc.DataRequest != nil && doc.DataRequest.ID != "" {
			req.ID = "shopify:" + shop + ":data_request:" + c.id(f("data_request.id"), doc.DataRequest.ID)
		}
	}
	if len(orders) > MaxLineItems {
		c.fail(f(list), "more than "+strconv.Itoa(MaxLineItems)+" orders")
	}
	for i, o := range orders {
		if id := c.id(field{List: list, Index: i}, o); id != "" {
			req.OrderIDs = append(req.OrderIDs, id)
		}
	}
	if err := c.result(); err != nil {
		return PrivacyRequest{}, true, err
	}
	return req, true, nil
}
