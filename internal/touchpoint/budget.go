package touchpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Size budgets. Every webhook the decoders accept becomes items DynamoDB
// stores (an item is at most 400 KB) and executions Step Functions starts
// (an execution input and every state's payload are at most 256 KiB): the
// event item holds the canonical event, the execution input holds it as
// "trigger", and the journeys load the profile view next to it. These
// budgets keep every one of those under its limit with margin, whatever a
// body within the decode limits (1 MiB, MaxLineItems, MaxTags, MaxString)
// holds. Sizes are bytes of the JSON encoding parcours stores (escapes
// included: "<" is 6 bytes). docs/events.md explains each choice.
const (
	// MaxEmailBytes is the longest email address (RFC 5321: 254). It is
	// the profile's key: longer is 400.
	MaxEmailBytes = 254
	// MaxIDBytes is the longest platform id (customer, order, checkout,
	// product, variant, review) and generic shop name: ids and shops are
	// parts of item keys (DynamoDB: partition key ≤ 2048 bytes, sort key ≤
	// 1024). Real ids are under 64 bytes; longer is 400.
	MaxIDBytes = 255
	// MaxTagChars is Shopify's limit on one tag (255 characters). A longer
	// tag is dropped and counted in customer.tags_omitted.
	MaxTagChars = 255
	// MaxTagsBytes bounds the kept tags (the profile view holds them twice:
	// the list and the membership map). Tags past it are dropped, in the
	// order sent, and counted in customer.tags_omitted.
	MaxTagsBytes = 8 << 10
	// MaxLineItemsBytes bounds the line items kept on one checkout or
	// order: the first ones that fit are kept and the rest counted in
	// line_items_omitted. Totals come from the payload's own totals, never
	// from the kept lines, so money stays exact.
	MaxLineItemsBytes = 48 << 10
	// MaxPropertiesBytes bounds a generic event's free-form properties:
	// larger is 400 (the sender controls them).
	MaxPropertiesBytes = 16 << 10
	// MaxEventBaseBytes bounds the canonical event without its line items
	// (tags and properties included): larger is 400. A real event is a few
	// KiB; only strings of thousands of escaped characters in many fields
	// reach it.
	MaxEventBaseBytes = 64 << 10
	// MaxEventBytes bounds the encoded canonical event: the event item's
	// "event" attribute and the execution input's "trigger".
	MaxEventBytes = MaxEventBaseBytes + MaxLineItemsBytes
	// MaxEventIDBytes bounds the dedupe id (the event item's key): a longer
	// id keeps its first bytes and ends with a hash of the whole id.
	MaxEventIDBytes = 512
)

// fit applies the size budgets to decoded events, in place: it drops what
// may be dropped (recording how much) and rejects what no real shop sends.
func fit(evs []Event) ([]Event, error) {
	for i := range evs {
		if err := Fit(&evs[i]); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// Fit applies the size budgets to one canonical event: long tags and tags
// past MaxTagsBytes are dropped (Customer.TagsOmitted), line items past
// MaxLineItemsBytes are dropped (LineItemsOmitted), a long id is
// shortened with a hash; properties over MaxPropertiesBytes or an event
// over MaxEventBaseBytes without its line items are an *InputError. After
// Fit, EncodedSize(ev) ≤ MaxEventBytes. The decoders call it; it is
// idempotent.
func Fit(ev *Event) error {
	if len(ev.ID) > MaxEventIDBytes {
		sum := sha256.Sum256([]byte(ev.ID))
		cut := MaxEventIDBytes - 1 - 32
		for cut > 0 && !utf8.RuneStart(ev.ID[cut]) {
			cut--
		}
		ev.ID = ev.ID[:cut] + "~" + hex.EncodeToString(sum[:16])
	}
	if c := ev.Customer; c != nil && len(c.Tags) > 0 {
		c.Tags, c.TagsOmitted = fitTags(c.Tags, c.TagsOmitted)
	}
	if n := valueSize(ev.Properties); ev.Properties != nil && n > MaxPropertiesBytes {
		return &InputError{Field: "properties", Reason: fmt.Sprintf("larger than %d bytes", MaxPropertiesBytes)}
	}
	if n := baseSize(ev); n > MaxEventBaseBytes {
		return &InputError{Reason: fmt.Sprintf("event larger than %d bytes without its line items", MaxEventBaseBytes)}
	}
	if c := ev.Checkout; c != nil {
		c.LineItems, c.LineItemsOmitted = FitLineItems(c.LineItems, c.LineItemsOmitted, MaxLineItemsBytes)
	}
	if o := ev.Order; o != nil {
		o.LineItems, o.LineItemsOmitted = FitLineItems(o.LineItems, o.LineItemsOmitted, MaxLineItemsBytes)
	}
	return nil
}

// fitTags keeps the tags of at most MaxTagChars characters, in order,
// while their JSON array stays within MaxTagsBytes; omitted grows by the
// number dropped.
func fitTags(tags []string, omitted int) ([]string, int) {
	kept, size, dropped := tags[:0:0], 2, 0
	for _, t := range tags {
		n := StringSize(t) + 1
		if utf8.RuneCountInString(t) > MaxTagChars || size+n > MaxTagsBytes {
			dropped++
			continue
		}
		kept, size = append(kept, t), size+n
	}
	if dropped == 0 {
		return tags, omitted
	}
	return kept, omitted + dropped
}

// FitLineItems keeps the first line items whose JSON array stays within
// budget bytes and adds the number dropped to omitted. The profile keeps
// a smaller part of the last checkout's lines with it.
func FitLineItems(items []LineItem, omitted, budget int) ([]LineItem, int) {
	size := 2
	for i := range items {
		size += lineItemSize(&items[i]) + 1
		if size > budget {
			return items[:i:i], omitted + len(items) - i
		}
	}
	return items, omitted
}

// StringSize is an upper bound on the length of s encoded by
// encoding/json, quotes included: exact except that \b and \f count 6.
func StringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			case b < 0x20 || b == '<' || b == '>' || b == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028', r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// EncodedSize is an upper bound on the length of json.Marshal(ev).
func EncodedSize(ev *Event) int {
	n := baseSize(ev)
	if c := ev.Checkout; c != nil {
		n += linesSize(c.LineItems)
	}
	if o := ev.Order; o != nil {
		n += linesSize(o.LineItems)
	}
	return n
}

// LineItemsSize is an upper bound on the length of json.Marshal(items).
func LineItemsSize(items []LineItem) int { return linesSize(items) }

func linesSize(items []LineItem) int {
	n := 2
	for i := range items {
		n += lineItemSize(&items[i]) + 1
	}
	return n
}

// Upper bounds of the fixed parts of each JSON object: every key, its
// quotes, colon and comma, the braces, and the longest value of the
// fields that are not strings.
const (
	timeSize         = len(`"2006-01-02T15:04:05.999999999-07:00"`)
	intSize          = 20
	lineItemOverhead = len(`{"product_id":,"variant_id":,"sku":,"title":,"variant_title":,"quantity":,"price":,"image_url":,"url":,"category":}`) + intSize
	eventOverhead    = len(`{"id":,"source":,"shop":,"topic":,"webhook_id":,"type":,"occurred_at":,"email":,"customer_id":,"customer":,"consent":,"checkout":,"order":,"product":,"review":,"touch":,"properties":}`) + timeSize
	customerOverhead = len(`{"first_name":,"last_name":,"phone":,"timezone":,"tags":[],"tags_omitted":}`) + intSize
	consentOverhead  = len(`{"state":,"opt_in_level":,"updated_at":}`) + timeSize
	checkoutOverhead = len(`{"id":,"token":,"recovery_url":,"currency":,"subtotal":,"total":,"line_items":,"line_items_omitted":,"updated_at":,"completed_at":}`) + intSize + 2*timeSize
	orderOverhead    = len(`{"id":,"number":,"checkout_id":,"currency":,"total":,"status":,"line_items":,"line_items_omitted":,"created_at":,"updated_at":,"cancelled_at":,"refunded":}`) + intSize + 3*timeSize
	productOverhead  = len(`{"id":,"title":,"url":,"image_url":,"category":,"price":,"currency":}`)
	reviewOverhead   = len(`{"id":,"order_id":,"product_id":,"rating":}`) + intSize
	touchOverhead    = len(`{"channel":,"landing_site":,"referring_site":,"device":}`)
)

func lineItemSize(l *LineItem) int {
	return lineItemOverhead + StringSize(l.ProductID) + StringSize(l.VariantID) + StringSize(l.SKU) +
		StringSize(l.Title) + StringSize(l.VariantName) + StringSize(l.Price) + StringSize(l.ImageURL) +
		StringSize(l.URL) + StringSize(l.Category)
}

// baseSize bounds the encoded event without its line items.
func baseSize(ev *Event) int {
	n := eventOverhead + StringSize(ev.ID) + StringSize(ev.Source) + StringSize(ev.Shop) + StringSize(ev.Topic) +
		StringSize(ev.WebhookID) + StringSize(string(ev.Type)) + StringSize(ev.Email) + StringSize(ev.CustomerID)
	if c := ev.Customer; c != nil {
		n += customerOverhead + StringSize(c.FirstName) + StringSize(c.LastName) + StringSize(c.Phone) + StringSize(c.Timezone)
		for _, t := range c.Tags {
			n += StringSize(t) + 1
		}
	}
	if c := ev.Consent; c != nil {
		n += consentOverhead + StringSize(c.State) + StringSize(c.OptInLevel)
	}
	if c := ev.Checkout; c != nil {
		n += checkoutOverhead + StringSize(c.ID) + StringSize(c.Token) + StringSize(c.RecoveryURL) +
			StringSize(c.Currency) + StringSize(c.Subtotal) + StringSize(c.Total)
	}
	if o := ev.Order; o != nil {
		n += orderOverhead + StringSize(o.ID) + StringSize(o.Number) + StringSize(o.CheckoutID) +
			StringSize(o.Currency) + StringSize(o.Total) + StringSize(o.Status) + StringSize(o.Refunded)
	}
	if p := ev.Product; p != nil {
		n += productOverhead + StringSize(p.ID) + StringSize(p.Title) + StringSize(p.URL) + StringSize(p.ImageURL) +
			StringSize(p.Category) + StringSize(p.Price) + StringSize(p.Currency)
	}
	if r := ev.Review; r != nil {
		n += reviewOverhead + StringSize(r.ID) + StringSize(r.OrderID) + StringSize(r.ProductID)
	}
	if t := ev.Touch; t != nil {
		n += touchOverhead + StringSize(t.Channel) + StringSize(t.LandingSite) + StringSize(t.ReferringSite) + StringSize(t.Device)
	}
	if ev.Properties != nil {
		n += valueSize(ev.Properties)
	}
	return n
}

// valueSize bounds the encoded length of a decoded JSON value (the
// free-form properties: strings, json.Number, bools, nil, maps, slices).
func valueSize(v any) int {
	switch v := v.(type) {
	case nil:
		return 4
	case string:
		return StringSize(v)
	case json.Number:
		return len(v)
	case bool:
		return 5
	case float64:
		return len(strconv.FormatFloat(v, 'g', -1, 64)) + 4
	case int, int64:
		return intSize
	case map[string]any:
		n := 2
		for k, e := range v {
			n += StringSize(k) + 2 + valueSize(e)
		}
		return n
	case []any:
		n := 2
		for _, e := range v {
			n += valueSize(e) + 1
		}
		return n
	case time.Time:
		return timeSize
	}
	b, _ := json.Marshal(v)
	return len(b)
}
