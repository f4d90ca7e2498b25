package unsubscribe

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/profile"
)

// Profiles is what the handler needs from the profile store.
type Profiles interface {
	// Unsubscribe records a click made at the given time: the address's
	// opt-out marker and, when it has a profile, the profile's consent. It
	// never creates a profile (an erased customer stays erased). existed
	// says whether there was one.
	Unsubscribe(ctx context.Context, email string, at time.Time) (existed bool, err error)
}

// Handler serves GET and POST /unsubscribe?t=<token> behind API Gateway
// (HTTP API, payload v2).
type Handler struct {
	Signer   *Signer
	Profiles Profiles
	Shop     string // shown on the pages
	Log      *slog.Logger
	Now      func() time.Time
}

// Page texts. Tests assert them: they are what the customer sees.
const (
	TextConfirm  = "Unsubscribe from our emails?"
	TextDone     = "You are unsubscribed."
	TextBadLink  = "This unsubscribe link is not valid."
	TextBadPost  = "This unsubscribe request is incomplete."
	TextFailed   = "We could not record your request. Please try again in a few minutes."
	TextNotFound = "Not found."
	oneClickBody = "List-Unsubscribe=One-Click"
)

// Handle answers one request. It never returns an error: every failure is a
// page with its status, logged once here.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	method := req.RequestContext.HTTP.Method
	if method != http.MethodGet && method != http.MethodPost {
		return h.page(http.StatusMethodNotAllowed, TextNotFound, ""), nil
	}
	token := req.QueryStringParameters["t"]
	email, issued, err := h.Signer.Verify(token)
	if err != nil {
		h.Log.WarnContext(ctx, "unsubscribe: bad token", "method", method)
		return h.page(http.StatusBadRequest, TextBadLink, ""), nil
	}
	log := h.Log.With("profile", profile.AddressHash(email), "token_issued_at", issued)

	if method == http.MethodGet {
		return h.page(http.StatusOK, TextConfirm, "?t="+url.QueryEscape(token)), nil
	}

	body := req.Body
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return h.page(http.StatusBadRequest, TextBadPost, ""), nil
		}
		body = string(b)
	}
	form, err := url.ParseQuery(strings.TrimSpace(body))
	if err != nil || form.Get("List-Unsubscribe") != "One-Click" {
		log.WarnContext(ctx, "unsubscribe: POST without List-Unsubscribe=One-Click")
		return h.page(http.StatusBadRequest, TextBadPost, ""), nil
	}

	// The same answer whether or not the address has a profile: a valid
	// token proves the address was emailed, and an erased customer who
	// clicks an old link is unsubscribed without being stored again.
	existed, err := h.Profiles.Unsubscribe(ctx, email, h.Now().UTC())
	if err != nil {
		log.ErrorContext(ctx, "unsubscribe: record", "err", err)
		return h.page(http.StatusInternalServerError, TextFailed, ""), nil
	}
	log.InfoContext(ctx, "unsubscribe: unsubscribed", "profile_existed", existed)
	return h.page(http.StatusOK, TextDone, ""), nil
}

// htmlEscaper escapes exactly as html/template does in text and
// quoted-attribute contexts (its htmlReplacementTable).
var htmlEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// renderPage renders the unsubscribe page. It is built by hand rather than
// with html/template: the page has three values, each in a text or
// quoted-attribute context, and linking html/template costs the function
// megabytes (text/template's reflective method calls keep every exported
// method of the AWS SDK alive). action is always "?t=" + url.QueryEscape(token),
// which html/template's URL normalizer leaves as it is.
// TestPageMatchesHTMLTemplate checks the output is byte for byte what
// html/template made of the same page.
func renderPage(b *strings.Builder, shop, text, action string) {
	shop, text = htmlEscaper.Replace(shop), htmlEscaper.Replace(text)
	b.WriteString(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>`)
	b.WriteString(shop)
	b.WriteString(`</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem}</style>
</head><body>
<p>`)
	b.WriteString(shop)
	b.WriteString("</p>\n<h1>")
	b.WriteString(text)
	b.WriteString("</h1>")
	if action != "" {
		b.WriteString("\n<form method=\"post\" action=\"")
		b.WriteString(htmlEscaper.Replace(action))
		b.WriteString(`">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>`)
	}
	b.WriteString("\n</body></html>\n")
}

func (h *Handler) page(status int, text, action string) events.APIGatewayV2HTTPResponse {
	var b strings.Builder
	renderPage(&b, h.Shop, text, action)
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":    "text/html; charset=utf-8",
			"Cache-Control":   "no-store",
			"Referrer-Policy": "no-referrer", // the token is in the URL
			"X-Robots-Tag":    "noindex",
		},
		Body: b.String(),
	}
}

// Config is the unsubscribe function's configuration.
type Config struct {
	Table string   // TABLE_NAME
	Keys  [][]byte // UNSUBSCRIBE_SECRET (same value as the send function's)
	Shop  string   // SHOP_NAME
}

// ConfigFromEnv reads TABLE_NAME, UNSUBSCRIBE_SECRET and SHOP_NAME with
// getenv (os.Getenv in main).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv("TABLE_NAME"), Shop: getenv("SHOP_NAME")}
	for _, req := range []struct{ name, v string }{{"TABLE_NAME", c.Table}, {"UNSUBSCRIBE_SECRET", getenv("UNSUBSCRIBE_SECRET")}, {"SHOP_NAME", c.Shop}} {
		if req.v == "" {
			return Config{}, errors.New("missing environment variable " + req.name)
		}
	}
	var err error
	c.Keys, err = ParseKeys(getenv("UNSUBSCRIBE_SECRET"))
	return c, err
}
