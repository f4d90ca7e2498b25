package touchpoint

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// WooCommerce verifies and decodes WooCommerce webhooks (REST API v3
// payloads).
//
// Headers: X-WC-Webhook-Signature (base64 HMAC-SHA256 of the raw body with
// the webhook's secret), X-WC-Webhook-Topic, X-WC-Webhook-Source (the shop's
// home URL), X-WC-Webhook-ID and X-WC-Webhook-Delivery-ID. The lookups
// spell them canonically (X-Wc-Webhook-Topic), which Get finds without
// canonicalizing the name again.
type WooCommerce struct {
	keys []*macKey
}

// NewWooCommerce takes the webhook secret, or "old,new" during a rotation.
func NewWooCommerce(secrets string) (*WooCommerce, error) {
	s, err := splitSecrets("woocommerce", secrets)
	if err != nil {
		return nil, err
	}
	return &WooCommerce{keys: byteKeys(s)}, nil
}

// Name implements Source.
func (*WooCommerce) Name() string { return "woocommerce" }

// wooPing is the body WooCommerce posts, unsigned and form-encoded, when a
// webhook is created or activated; it saves the webhook only on a 200.
var wooPing = regexp.MustCompile(`^webhook_id=[0-9]{1,20}$`)

func isWooPing(r Request) bool {
	return r.Headers.Get("X-Wc-Webhook-Topic") == "" && wooPing.Match(r.Body)
}

// Verify implements Source. The creation ping carries no signature
// (WooCommerce does not sign it): an unsigned body that is exactly
// "webhook_id=<digits>", with no topic header, passes, and Decode turns it
// into no events. Everything else needs a valid signature.
func (w *WooCommerce) Verify(r Request) error {
	h := r.Headers.Get("X-Wc-Webhook-Signature")
	if h == "" {
		if isWooPing(r) {
			return nil
		}
		return ErrBadSignature
	}
	return verifyHMAC(w.keys, r.Body, h)
}

// Decode implements Source. The topics and what they become:
//
//	order.created     order_placed (whatever the status)
//	order.updated     by status: processing → order_paid, completed → order_fulfilled,
//	                  cancelled → order_cancelled, refunded → order_refunded;
//	                  pending, on-hold, failed, draft and others are ignored
//	customer.created  customer_created
//	customer.updated  customer_updated
//
// Other topics are ignored; the creation ping is no events and no error.
//
// WooCommerce has no event id, and its delivery id is a fresh hash per send,
// so the dedupe id is the change itself: shop, topic, resource id,
// date_modified_gmt and (for orders) status. Repeated sends of one change
// (order.updated fires for several hooks of one save) are then duplicates.
func (w *WooCommerce) Decode(r Request) ([]Event, error) {
	if isWooPing(r) {
		return nil, nil
	}
	topic := strings.TrimSpace(r.Headers.Get("X-Wc-Webhook-Topic"))
	if topic == "" {
		return nil, &InputError{Field: "X-WC-Webhook-Topic", Reason: "header missing"}
	}
	switch topic {
	case "order.created", "order.updated", "customer.created", "customer.updated":
	default:
		return nil, &IgnoredError{Reason: "topic " + strconv.Quote(topic) + " is not used by parcours"}
	}
	shop := wooShop(r.Headers.Get("X-Wc-Webhook-Source"))
	if shop == "" {
		return nil, &InputError{Field: "X-WC-Webhook-Source", Reason: "header missing"}
	}
	webhookID := strings.TrimSpace(r.Headers.Get("X-Wc-Webhook-Id"))
	if len(shop) > 255 || len(webhookID) > 255 {
		return nil, &InputError{Reason: "header longer than 255 bytes"}
	}
	var doc wooDoc
	if err := decodeJSON(r.Body, &doc); err != nil {
		return nil, err
	}
	c := &conv{}
	ev := Event{
		Source:    "woocommerce",
		Shop:      shop,
		Topic:     topic,
		WebhookID: webhookID,
	}
	id := c.required(f("id"), c.id(f("id"), doc.ID))
	modified := c.time(f("date_modified_gmt"), doc.DateModifiedGMT)
	created := c.time(f("date_created_gmt"), doc.DateCreatedGMT)
	status := c.str(f("status"), doc.Status)
	if strings.HasPrefix(topic, "order.") {
		switch {
		case topic == "order.created":
			ev.Type = OrderPlaced
		case status == "processing":
			ev.Type = OrderPaid
		case status == "completed":
			ev.Type = OrderFulfilled
		case status == "cancelled":
			ev.Type = OrderCancelled
		case status == "refunded":
			ev.Type = OrderRefunded
		default:
			if err := c.result(); err != nil {
				return nil, err
			}
			return nil, &IgnoredError{Reason: "order.updated with status " + strconv.Quote(status) + " carries no canonical event"}
		}
		w.order(c, &doc, &ev, created, modified)
	} else {
		ev.Type = CustomerCreated
		ev.OccurredAt = created
		if topic == "customer.updated" {
			ev.Type = CustomerUpdated
			ev.OccurredAt = modified
		}
		ev.CustomerID = id
		ev.Email = c.email(f("email"), doc.Email)
		cu := &Customer{
			FirstName: c.str(f("first_name"), doc.FirstName),
			LastName:  c.str(f("last_name"), doc.LastName),
		}
		if doc.Billing != nil {
			cu.Phone = c.str(f("billing.phone"), doc.Billing.Phone)
			if ev.Email == "" {
				ev.Email = c.email(f("billing.email"), doc.Billing.Email)
			}
		}
		if !cu.empty() {
			ev.Customer = cu
		}
	}
	if err := c.result(); err != nil {
		return nil, err
	}
	if modified.IsZero() {
		return nil, &InputError{Field: "date_modified_gmt", Reason: "required"}
	}
	if ev.OccurredAt.IsZero() {
		field := "date_created_gmt"
		if topic == "customer.updated" || topic == "order.updated" {
			field = "date_modified_gmt"
		}
		return nil, &InputError{Field: field, Reason: "required"}
	}
	ev.ID = "woocommerce:" + shop + ":" + topic + ":" + id + ":" + strconv.FormatInt(modified.Unix(), 10)
	if ev.Order != nil {
		ev.ID += ":" + status
	}
	return fit([]Event{ev})
}

func (w *WooCommerce) order(c *conv, d *wooDoc, ev *Event, created, modified time.Time) {
	o := &Order{
		ID:        string(d.ID),
		Number:    c.id(f("number"), d.Number),
		Currency:  c.str(f("currency"), d.Currency),
		Total:     c.money(f("total"), d.Total),
		CreatedAt: created,
		UpdatedAt: modified,
	}
	switch ev.Type {
	case OrderPlaced:
		o.Status = OrderStatusPlaced
		ev.OccurredAt = created
	case OrderPaid:
		o.Status = OrderStatusPaid
		ev.OccurredAt = modified
	case OrderFulfilled:
		o.Status = OrderStatusFulfilled
		ev.OccurredAt = modified
	case OrderCancelled:
		o.Status = OrderStatusCancelled
		ev.OccurredAt = modified
		o.CancelledAt = &modified
	case OrderRefunded:
		o.Status = OrderStatusRefunded
		ev.OccurredAt = modified
		var amounts []string
		for i, rf := range d.Refunds {
			if a := c.money(field{"refunds", i, "total"}, rf.Total); a != "" {
				amounts = append(amounts, strings.TrimPrefix(a, "-"))
			}
		}
		o.Refunded = sumDecimals(amounts)
	}
	if c.lineItemCount(f("line_items"), len(d.LineItems)) && len(d.LineItems) > 0 {
		o.LineItems = make([]LineItem, len(d.LineItems))
		for i, li := range d.LineItems {
			item := LineItem{
				ProductID: c.id(field{"line_items", i, "product_id"}, li.ProductID),
				VariantID: c.id(field{"line_items", i, "variation_id"}, li.VariationID),
				SKU:       c.str(field{"line_items", i, "sku"}, li.SKU),
				Title:     c.str(field{"line_items", i, "name"}, li.Name),
				Quantity:  c.quantity(field{"line_items", i, "quantity"}, li.Quantity),
				// WooCommerce sends the unit price as a PHP float (18.5):
				// pad it to the decimals of the order total ("101.00").
				Price: padDecimals(c.money(field{"line_items", i, "price"}, li.Price), decimals(o.Total)),
			}
			if item.VariantID == "0" {
				item.VariantID = ""
			}
			if li.Image != nil {
				item.ImageURL = c.str(field{"line_items", i, "image.src"}, li.Image.Src)
			}
			o.LineItems[i] = item
		}
	}
	ev.Order = o
	if cid := c.id(f("customer_id"), d.CustomerID); cid != "0" {
		ev.CustomerID = cid
	}
	if d.Billing != nil {
		ev.Email = c.email(f("billing.email"), d.Billing.Email)
		cu := &Customer{
			FirstName: c.str(f("billing.first_name"), d.Billing.FirstName),
			LastName:  c.str(f("billing.last_name"), d.Billing.LastName),
			Phone:     c.str(f("billing.phone"), d.Billing.Phone),
		}
		if !cu.empty() {
			ev.Customer = cu
		}
	}
	ev.Touch = w.touch(c, d)
}

// touch reads the order attribution WooCommerce 8.5+ stores in meta_data,
// and created_via for the channel.
func (w *WooCommerce) touch(c *conv, d *wooDoc) *Touch {
	t := &Touch{Channel: wooChannel(c.str(f("created_via"), d.CreatedVia))}
	for i, m := range d.MetaData {
		var s string
		switch m.Key {
		case "_wc_order_attribution_session_entry", "_wc_order_attribution_referrer", "_wc_order_attribution_device_type":
			if !m.Value.ok {
				continue
			}
			s = c.str(field{"meta_data", i, "value"}, m.Value.s)
		default:
			continue
		}
		switch m.Key {
		case "_wc_order_attribution_session_entry":
			t.LandingSite = s
		case "_wc_order_attribution_referrer":
			t.ReferringSite = s
		case "_wc_order_attribution_device_type":
			switch strings.ToLower(s) {
			case "mobile", "tablet", "desktop":
				t.Device = strings.ToLower(s)
			}
		}
	}
	if t.Device == "" {
		t.Device = deviceClass(c.str(f("customer_user_agent"), d.CustomerUserAgent))
	}
	if *t == (Touch{}) {
		return nil
	}
	return t
}

// wooChannel maps created_via onto Shopify's source_name vocabulary: the
// storefront checkout (classic or blocks) is "web".
func wooChannel(via string) string {
	switch via {
	case "checkout", "store-api":
		return "web"
	case "rest-api":
		return "api"
	}
	return via
}

// wooShop reduces X-WC-Webhook-Source ("https://shop.example/") to the host.
func wooShop(src string) string {
	src = strings.TrimSpace(src)
	if u, err := url.Parse(src); err == nil && u.Host != "" {
		return strings.ToLower(u.Host + strings.TrimSuffix(u.Path, "/"))
	}
	return strings.ToLower(strings.TrimSuffix(src, "/"))
}

type wooDoc struct {
	ID              jsonID `json:"id"`
	Status          string `json:"status"`
	DateCreatedGMT  string `json:"date_created_gmt"`
	DateModifiedGMT string `json:"date_modified_gmt"`

	// orders
	Number            jsonID        `json:"number"`
	Currency          string        `json:"currency"`
	Total             jsonNum       `json:"total"`
	CustomerID        jsonID        `json:"customer_id"`
	Billing           *wooAddress   `json:"billing"`
	LineItems         []wooLineItem `json:"line_items"`
	Refunds           []wooRefund   `json:"refunds"`
	CreatedVia        string        `json:"created_via"`
	CustomerUserAgent string        `json:"customer_user_agent"`
	MetaData          []wooMeta     `json:"meta_data"`

	// customers
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type wooAddress struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
}

type wooLineItem struct {
	ProductID   jsonID  `json:"product_id"`
	VariationID jsonID  `json:"variation_id"`
	SKU         string  `json:"sku"`
	Name        string  `json:"name"`
	Quantity    jsonNum `json:"quantity"`
	Price       jsonNum `json:"price"`
	Image       *struct {
		Src string `json:"src"`
	} `json:"image"`
}

type wooRefund struct {
	Total jsonNum `json:"total"`
}

type wooMeta struct {
	Key   string       `json:"key"`
	Value wooMetaValue `json:"value"`
}

// wooMetaValue is a meta_data value as parcours reads it: a string (null
// reads as ""); any other value, or none, is not ok. Nothing else of it is
// kept.
type wooMetaValue struct {
	s  string
	ok bool
}

func (v *wooMetaValue) UnmarshalJSON(b []byte) error {
	*v = wooMetaValue{}
	switch {
	case len(b) > 0 && b[0] == '"':
		if s, err := unquote(b); err == nil {
			*v = wooMetaValue{s: s, ok: true}
		}
	case string(b) == "null":
		v.ok = true
	}
	return nil
}

var _ Source = (*WooCommerce)(nil)
