// Package ingest is the webhook endpoint: POST /webhooks/{source} behind API
// Gateway (HTTP API, payload v2). It verifies, decodes and stores each
// delivery and answers with a status the sender can act on: 2xx means
// stored (or deliberately ignored), 5xx means retry.
package ingest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/erase"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// DefaultMaxBody is the largest body accepted (after base64 decoding).
const DefaultMaxBody = 1 << 20

// Metric names (namespace Parcours, dimension Source).
const (
	MetricAccepted  = "WebhookAccepted"  // stored
	MetricDuplicate = "WebhookDuplicate" // already stored: nothing changed
	MetricRejected  = "WebhookRejected"  // 400, 401, 404, 405, 413
	MetricIgnored   = "WebhookIgnored"   // 202: unused topic or unresolved identity
	MetricFailed    = "WebhookFailed"    // 5xx: storage failed, the sender retries
	MetricPrivacy   = "PrivacyRequests"  // privacy requests carried out (dimension Kind)
)

// Store is what the handler needs from profile.Store.
type Store interface {
	Apply(ctx context.Context, ev touchpoint.Event) (profile.Outcome, error)
}

// Privacy carries out verified privacy requests (erase.Eraser).
type Privacy interface {
	Handle(ctx context.Context, req touchpoint.PrivacyRequest) (erase.Outcome, error)
}

// Handler serves POST /webhooks/{source}.
type Handler struct {
	sources map[string]touchpoint.Source
	store   Store
	metrics *emf.Writer
	log     *slog.Logger
	MaxBody int // DefaultMaxBody unless set
	// Privacy carries out Shopify's privacy webhooks. Without it they are
	// answered 503, never acknowledged as done.
	Privacy Privacy
}

// New returns a handler for the given sources, keyed by their Name.
func New(store Store, metrics *emf.Writer, log *slog.Logger, sources ...touchpoint.Source) *Handler {
	h := &Handler{sources: map[string]touchpoint.Source{}, store: store, metrics: metrics, log: log, MaxBody: DefaultMaxBody}
	for _, s := range sources {
		h.sources[s.Name()] = s
	}
	return h
}

// Response is the JSON body of every answer.
type Response struct {
	Status string `json:"status"` // stored, duplicate, ignored, ok, rejected, error
	Reason string `json:"reason,omitempty"`
}

// Reasons the sender sees. They never carry error details.
const (
	reasonSignature = "invalid signature"
	reasonStorage   = "storage unavailable, retry"
	reasonSource    = "unknown source"
)

// Handle answers one delivery.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	name := req.PathParameters["source"]
	src, ok := h.sources[name]
	if !ok {
		// The path is the sender's: keep it out of metrics and logs' keys.
		return h.reject(ctx, "unknown", http.StatusNotFound, reasonSource), nil
	}
	if m := req.RequestContext.HTTP.Method; m != "" && m != http.MethodPost {
		return h.reject(ctx, name, http.StatusMethodNotAllowed, "method not allowed"), nil
	}
	// Refuse before decoding: base64 is 4/3 of the raw size.
	if len(req.Body) > h.MaxBody && (!req.IsBase64Encoded || base64.StdEncoding.DecodedLen(len(req.Body)) > h.MaxBody+2) {
		return h.reject(ctx, name, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.MaxBody)), nil
	}
	r, err := touchpoint.NewRequest(req.Headers, req.Body, req.IsBase64Encoded)
	if err != nil {
		return h.reject(ctx, name, http.StatusBadRequest, "body: invalid base64"), nil
	}
	if len(r.Body) > h.MaxBody {
		return h.reject(ctx, name, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.MaxBody)), nil
	}
	if err := src.Verify(r); err != nil {
		return h.reject(ctx, name, http.StatusUnauthorized, reasonSignature), nil
	}
	if ps, ok := src.(touchpoint.PrivacySource); ok {
		if req, isPrivacy, err := ps.DecodePrivacy(r); isPrivacy {
			return h.privacy(ctx, name, req, err), nil
		}
	}
	evs, err := src.Decode(r)
	var ie *touchpoint.InputError
	var ig *touchpoint.IgnoredError
	switch {
	case errors.As(err, &ie):
		return h.reject(ctx, name, http.StatusBadRequest, ie.Error()), nil
	case errors.As(err, &ig):
		return h.ignore(ctx, name, ig.Reason), nil
	case err != nil:
		h.log.ErrorContext(ctx, "decode webhook", "source", name, "error", err)
		return h.reject(ctx, name, http.StatusBadRequest, "body could not be decoded"), nil
	}
	if len(evs) == 0 { // WooCommerce's creation ping
		h.log.InfoContext(ctx, "webhook without events", "source", name)
		return respond(http.StatusOK, Response{Status: "ok", Reason: "no events in delivery"}), nil
	}
	return h.apply(ctx, name, evs), nil
}

// apply stores each event of a delivery (Shopify's customers/update can
// carry customer_updated and consent_changed). Every event is validated
// before any is stored, so a 400 means nothing was written. Each event is
// then its own transaction; when one fails the answer is 5xx and the
// sender's retry finds the earlier ones duplicate.
func (h *Handler) apply(ctx context.Context, name string, evs []touchpoint.Event) events.APIGatewayV2HTTPResponse {
	for _, ev := range evs {
		var ie *touchpoint.InputError
		if err := profile.Validate(ev); errors.As(err, &ie) {
			return h.reject(ctx, name, http.StatusBadRequest, ie.Error())
		} else if err != nil {
			h.log.ErrorContext(ctx, "validate event", "source", name, "event_id", ev.ID, "type", ev.Type, "error", err)
			return h.reject(ctx, name, http.StatusBadRequest, "body could not be decoded")
		}
	}
	stored, dup := 0, 0
	var unresolved string
	for _, ev := range evs {
		// Apply refuses only what Validate refused above: any error now
		// is storage's, and the sender retries.
		out, err := h.store.Apply(ctx, ev)
		if err != nil {
			h.log.ErrorContext(ctx, "store event", "source", name, "event_id", ev.ID, "type", ev.Type, "error", err)
			h.metrics.Count(MetricFailed, 1, map[string]string{"Source": name})
			return respond(http.StatusServiceUnavailable, Response{Status: "error", Reason: reasonStorage})
		}
		// LogAttrs: the same line as InfoContext with key-value pairs, without
		// boxing each value.
		h.log.LogAttrs(ctx, slog.LevelInfo, "event", slog.String("source", name), slog.String("event_id", ev.ID),
			slog.String("type", string(ev.Type)), slog.String("outcome", string(out.Status)),
			slog.String("profile", hashOrEmpty(out.Email)), slog.String("reason", out.Reason))
		switch out.Status {
		case profile.Stored:
			stored++
		case profile.Duplicate:
			dup++
		case profile.Unresolved:
			unresolved = out.Reason
		}
	}
	switch {
	case stored > 0:
		h.metrics.Count(MetricAccepted, 1, map[string]string{"Source": name})
		return respond(http.StatusOK, Response{Status: "stored"})
	case dup > 0:
		h.metrics.Count(MetricDuplicate, 1, map[string]string{"Source": name})
		return respond(http.StatusOK, Response{Status: "duplicate"})
	default:
		return h.ignore(ctx, name, "unresolved identity: "+unresolved)
	}
}

// privacy carries out a privacy request. The answer is the same whether
// or not anything was stored for the customer.
func (h *Handler) privacy(ctx context.Context, name string, req touchpoint.PrivacyRequest, decodeErr error) events.APIGatewayV2HTTPResponse {
	var ie *touchpoint.InputError
	switch {
	case errors.As(decodeErr, &ie):
		return h.reject(ctx, name, http.StatusBadRequest, ie.Error())
	case decodeErr != nil:
		h.log.ErrorContext(ctx, "decode privacy request", "source", name, "error", decodeErr)
		return h.reject(ctx, name, http.StatusBadRequest, "body could not be decoded")
	case h.Privacy == nil:
		h.log.ErrorContext(ctx, "privacy request received but no eraser is configured", "source", name, "kind", req.Kind, "request", req.ID)
		h.metrics.Count(MetricFailed, 1, map[string]string{"Source": name})
		return respond(http.StatusServiceUnavailable, Response{Status: "error", Reason: "privacy requests are not configured"})
	}
	out, err := h.Privacy.Handle(ctx, req)
	if err != nil {
		h.log.ErrorContext(ctx, "privacy request failed", "source", name, "kind", req.Kind, "request", req.ID, "error", err)
		h.metrics.Count(MetricFailed, 1, map[string]string{"Source": name})
		return respond(http.StatusServiceUnavailable, Response{Status: "error", Reason: reasonStorage})
	}
	h.log.InfoContext(ctx, "privacy request", "source", name, "kind", req.Kind, "request", req.ID, "status", out.Status,
		"profiles", out.Report.Profiles, "items_deleted", out.Report.ItemsDeleted, "events_erased", out.Report.EventsErased,
		"executions_stopped", out.Report.ExecutionsStopped)
	h.metrics.Count(MetricPrivacy, 1, map[string]string{"Source": name, "Kind": string(req.Kind)})
	return respond(http.StatusOK, Response{Status: out.Status})
}

func (h *Handler) reject(ctx context.Context, source string, status int, reason string) events.APIGatewayV2HTTPResponse {
	h.log.WarnContext(ctx, "webhook rejected", "source", source, "status", status, "reason", logReason(reason))
	h.metrics.Count(MetricRejected, 1, map[string]string{"Source": source})
	return respond(status, Response{Status: "rejected", Reason: reason})
}

func (h *Handler) ignore(ctx context.Context, source, reason string) events.APIGatewayV2HTTPResponse {
	h.log.InfoContext(ctx, "webhook ignored", "source", source, "reason", logReason(reason))
	h.metrics.Count(MetricIgnored, 1, map[string]string{"Source": source})
	return respond(http.StatusAccepted, Response{Status: "ignored", Reason: reason})
}

// respond answers with r as its JSON body. Every webhook passes here, so
// the body is written by hand: the bytes are json.Marshal(r)'s (strings
// that need escaping go through encoding/json), and the two usual answers
// are constants.
func respond(status int, r Response) events.APIGatewayV2HTTPResponse {
	var body string
	switch {
	case r == Response{Status: "stored"}:
		body = `{"status":"stored"}`
	case r == Response{Status: "duplicate"}:
		body = `{"status":"duplicate"}`
	default:
		b := make([]byte, 0, len(`{"status":"","reason":""}`)+len(r.Status)+len(r.Reason))
		b = append(b, `{"status":`...)
		b = appendJSONString(b, r.Status)
		if r.Reason != "" {
			b = append(b, `,"reason":`...)
			b = appendJSONString(b, r.Reason)
		}
		body = string(append(b, '}'))
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       body,
	}
}

// appendJSONString appends s as json.Marshal writes it: printable ASCII
// other than the quote, the backslash and the HTML characters json escapes
// (<, >, &) is copied as it is; any other string is encoded by
// encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string: cannot fail
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func hashOrEmpty(email string) string {
	if email == "" {
		return ""
	}
	return profile.AddressHash(email)
}

// quoted matches a Go-quoted string (strconv.Quote, %q) in a reason;
// keyword is what an event type, topic or consent state looks like.
var (
	quoted  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	keyword = regexp.MustCompile(`^"[a-z0-9_./:-]{1,64}"$`)
)

// logReason is a rejection or ignore reason as logged. The decoders quote
// the values the sender put in the payload (an unknown event type, topic,
// consent state…); a value that looks like a keyword (lower case, digits,
// _ . / : -) is kept for the engineer reading the log, any other is
// replaced by "…", so that an address or a name sent in an unexpected
// field does not reach the logs. The sender's answer keeps the whole
// reason: it is their own data.
func logReason(reason string) string {
	if !strings.Contains(reason, `"`) {
		return reason
	}
	return quoted.ReplaceAllStringFunc(reason, func(q string) string {
		if keyword.MatchString(q) {
			return q
		}
		return `"…"`
	})
}
