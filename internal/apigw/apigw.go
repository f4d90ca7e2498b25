// Package apigw converts between net/http and the events API Gateway HTTP
// APIs (payload format 2.0) hand to Lambda, the way the gateway does, so a
// local server can call the very handler the Lambda runs.
//
// What the conversion does, as API Gateway does it:
//   - header names are lower-cased; repeated headers are joined with ",";
//     Cookie headers move to Cookies;
//   - query parameters are joined with "," per name; rawQueryString is kept;
//   - the body is base64-encoded (isBase64Encoded true) unless its
//     Content-Type is text: text/*, application/json, application/*+json,
//     application/xml, application/*+xml, application/javascript. Form
//     bodies (application/x-www-form-urlencoded) arrive encoded, as they do
//     from API Gateway;
//   - requestContext carries the route key, method, path, protocol, source
//     IP, user agent, a request id and the time.
package apigw

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// MaxBody is API Gateway's payload limit (10 MB).
const MaxBody = 10 << 20

// ErrTooLarge is returned for a body over the limit; answer 413.
var ErrTooLarge = errors.New("request body too large")

// Request converts r for the route routeKey (e.g. "POST /webhooks/{source}")
// with the given path parameters. It reads at most maxBody bytes of body.
func Request(r *http.Request, routeKey string, pathParams map[string]string, maxBody int64) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > maxBody {
		return events.APIGatewayV2HTTPRequest{}, ErrTooLarge
	}
	headers := map[string]string{}
	var cookies []string
	for name, vals := range r.Header {
		lname := strings.ToLower(name)
		if lname == "cookie" {
			for _, v := range vals {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lname] = strings.Join(vals, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	headers["content-length"] = strconv.Itoa(len(body))
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = make(map[string]string, len(q))
		for k, v := range q {
			query[k] = strings.Join(v, ",")
		}
	}
	now := time.Now().UTC()
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	sourceIP := r.RemoteAddr
	if h, _, err := net.SplitHostPort(sourceIP); err == nil {
		sourceIP = h
	}
	out := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        pathParams,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    requestID(),
			APIID:        "local",
			DomainName:   host,
			DomainPrefix: strings.SplitN(host, ".", 2)[0],
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if IsText(r.Header.Get("Content-Type")) {
			out.Body = string(body)
		} else {
			out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return out, nil
}

// IsText says whether API Gateway passes a body of this Content-Type as
// text rather than base64.
func IsText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", mt == "application/xml", mt == "application/javascript",
		strings.HasPrefix(mt, "application/") && (strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml")):
		return true
	}
	return false
}

// WriteResponse writes a Lambda's answer as API Gateway would: headers,
// cookies, status (200 when unset) and the body, base64-decoded when
// flagged.
func WriteResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) error {
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return fmt.Errorf("response body: %w", err)
		}
		body = b
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

func requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
