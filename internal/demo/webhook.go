package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/touchpoint"
)

// FixtureDir is where the story's fixtures live, relative to the
// repository root.
const FixtureDir = "events/demo"

// StandardRequest is a Standard Webhooks delivery of body, signed with
// secret at ts, as the API Gateway HTTP API (payload 2.0) event the ingest
// function receives: what events/<source>/*.json hold. headers are the
// sender's other headers (content-type, user-agent); webhook-id is id.
func StandardRequest(secret, id string, ts time.Time, headers map[string]string, body []byte) (events.APIGatewayV2HTTPRequest, error) {
	sig, err := touchpoint.SignStandard(secret, id, ts, body)
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, fmt.Errorf("sign %s: %w", id, err)
	}
	h := map[string]string{"content-type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	h["webhook-id"] = id
	h["webhook-timestamp"] = strconv.FormatInt(ts.Unix(), 10)
	h["webhook-signature"] = sig
	h["content-length"] = strconv.Itoa(len(body))
	sum := sha256.Sum256([]byte(id))
	const route = "POST /webhooks/{source}"
	return events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       route,
		RawPath:        "/webhooks/standard",
		Headers:        h,
		PathParameters: map[string]string{"source": "standard"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route,
			AccountID:    "123456789012",
			Stage:        "$default",
			RequestID:    hex.EncodeToString(sum[:8]),
			APIID:        "parcours",
			DomainName:   "localhost",
			DomainPrefix: "localhost",
			Time:         ts.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    ts.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    "POST",
				Path:      "/webhooks/standard",
				Protocol:  "HTTP/1.1",
				SourceIP:  "127.0.0.1",
				UserAgent: h["user-agent"],
			},
		},
		Body: string(body),
	}, nil
}

// Fixture is one delivery of the story, read from events/demo/.
type Fixture struct {
	Name    string // file name
	Request events.APIGatewayV2HTTPRequest
	// At is the delivery's webhook-timestamp: the story posts it when the
	// stack's clock reads At, so the ±5 minute check passes as it is.
	At    time.Time
	Type  string // the event type of the body
	Email string // the customer's address as the body spells it
}

// LoadFixture reads events/demo/<name> under dir.
func LoadFixture(dir, name string) (Fixture, error) {
	path := filepath.Join(dir, FixtureDir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Fixture{}, fmt.Errorf("%s/%s not found in %s (run parcours demo from the repository root)", FixtureDir, name, dir)
	}
	if err != nil {
		return Fixture{}, fmt.Errorf("demo fixture: %w", err)
	}
	f := Fixture{Name: name}
	if err := json.Unmarshal(b, &f.Request); err != nil {
		return Fixture{}, fmt.Errorf("demo fixture %s: %w", path, err)
	}
	sec, err := strconv.ParseInt(f.Request.Headers["webhook-timestamp"], 10, 64)
	if err != nil {
		return Fixture{}, fmt.Errorf("demo fixture %s: webhook-timestamp %q is not Unix seconds", path, f.Request.Headers["webhook-timestamp"])
	}
	f.At = time.Unix(sec, 0).UTC()
	var body struct {
		Type  string `json:"type"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal([]byte(f.Request.Body), &body); err != nil {
		return Fixture{}, fmt.Errorf("demo fixture %s: body: %w", path, err)
	}
	f.Type, f.Email = body.Type, body.Email
	return f, nil
}
