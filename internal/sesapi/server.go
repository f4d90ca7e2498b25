// Package sesapi is an in-process Amazon SES v2 endpoint. It implements the
// SendEmail operation (REST-JSON, POST /v2/email/outbound-emails) well enough
// for the real aws-sdk-go-v2 sesv2 client to talk to it, and keeps every
// accepted message in an outbox instead of delivering it. Tests point a
// sesv2 client at it with BaseEndpoint; the dev stack serves it on loopback
// and can also write each message as an .eml file to a folder.
package sesapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// SendEmailPath is the REST path of SES v2 SendEmail.
const SendEmailPath = "/v2/email/outbound-emails"

// Message is one email SendEmail accepted.
type Message struct {
	ID               string            `json:"message_id"`
	From             string            `json:"from"`
	To               []string          `json:"to"`
	Cc               []string          `json:"cc,omitempty"`
	Bcc              []string          `json:"bcc,omitempty"`
	ReplyTo          []string          `json:"reply_to,omitempty"`
	Subject          string            `json:"subject,omitempty"`
	Text             string            `json:"text,omitempty"`
	HTML             string            `json:"html,omitempty"`
	Headers          []Header          `json:"headers,omitempty"`
	Raw              []byte            `json:"raw,omitempty"` // Content.Raw.Data, when the caller sent raw MIME
	ConfigurationSet string            `json:"configuration_set,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	ReceivedAt       time.Time         `json:"received_at"`
}

// Header is a custom header of a Simple message.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Header returns the value of the first header with the given name
// (case-insensitive), or "".
func (m Message) Header(name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Option configures a Server.
type Option func(*Server)

// WithEMLDir writes every accepted message to dir/<message id>.eml.
func WithEMLDir(dir string) Option { return func(s *Server) { s.emlDir = dir } }

// WithClock sets the clock that stamps ReceivedAt and the .eml Date header
// (the dev stack's virtual clock).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// Server is the SES v2 endpoint. It is an http.Handler; it is safe for
// concurrent use.
type Server struct {
	now    func() time.Time
	emlDir string

	mu      sync.Mutex
	outbox  []Message
	reject  int    // number of upcoming SendEmail calls to reject
	rejCode string // error code for rejected calls
}

// NewServer returns an endpoint with an empty outbox.
func NewServer(opts ...Option) *Server {
	s := &Server{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Outbox returns a copy of every accepted message, oldest first.
func (s *Server) Outbox() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.outbox...)
}

// Reset empties the outbox.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outbox = nil
}

// RejectNext makes the next n SendEmail calls fail with SES's
// MessageRejected error (HTTP 400, not retried by the SDK), as SES does for
// a message it refuses. Tests use it to check that a failed send stays
// retryable.
func (s *Server) RejectNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject, s.rejCode = n, "MessageRejected"
}

// ServeHTTP answers SendEmail and reports every other operation as unknown.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != SendEmailPath {
		writeError(w, http.StatusNotFound, "NotFoundException", "parcours sesapi implements only SendEmail")
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "BadRequestException", "SendEmail is POST")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 40<<20)) // SES's 40 MB limit
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestException", "unreadable body")
		return
	}
	var in sendEmailRequest
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestException", "body is not a SendEmail request")
		return
	}
	msg, code, reason := in.message()
	if code != "" {
		writeError(w, http.StatusBadRequest, code, reason)
		return
	}

	s.mu.Lock()
	if s.reject > 0 {
		s.reject--
		c := s.rejCode
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, c, "Email address is not verified.")
		return
	}
	msg.ID = newMessageID()
	msg.ReceivedAt = s.now().UTC()
	s.outbox = append(s.outbox, msg)
	s.mu.Unlock()

	if s.emlDir != "" {
		if err := writeEML(s.emlDir, msg); err != nil {
			// The message is accepted; failing to mirror it is the dev
			// stack's problem, reported on its own channel.
			w.Header().Set("X-Parcours-Eml-Error", "write failed")
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": msg.ID})
}

type content struct {
	Data    string `json:"Data"`
	Charset string `json:"Charset"`
}

type sendEmailRequest struct {
	FromEmailAddress string `json:"FromEmailAddress"`
	Destination      *struct {
		ToAddresses  []string `json:"ToAddresses"`
		CcAddresses  []string `json:"CcAddresses"`
		BccAddresses []string `json:"BccAddresses"`
	} `json:"Destination"`
	ReplyToAddresses     []string `json:"ReplyToAddresses"`
	ConfigurationSetName string   `json:"ConfigurationSetName"`
	Content              *struct {
		Simple *struct {
			Subject *content `json:"Subject"`
			Body    *struct {
				Text *content `json:"Text"`
				HTML *content `json:"Html"`
			} `json:"Body"`
			Headers []struct {
				Name  string `json:"Name"`
				Value string `json:"Value"`
			} `json:"Headers"`
		} `json:"Simple"`
		Raw *struct {
			Data string `json:"Data"` // base64 (a blob in REST-JSON)
		} `json:"Raw"`
		Template *json.RawMessage `json:"Template"`
	} `json:"Content"`
	EmailTags []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"EmailTags"`
}

// message validates the request the way SES does for the parts parcours
// uses and returns the message, or an error code and message.
func (in sendEmailRequest) message() (Message, string, string) {
	var m Message
	if in.Content == nil {
		return m, "BadRequestException", "Content is required"
	}
	c := in.Content
	switch {
	case c.Simple != nil:
		if in.FromEmailAddress == "" {
			return m, "BadRequestException", "FromEmailAddress is required"
		}
		if in.Destination == nil || len(in.Destination.ToAddresses)+len(in.Destination.CcAddresses)+len(in.Destination.BccAddresses) == 0 {
			return m, "BadRequestException", "Destination needs at least one address"
		}
		if c.Simple.Subject == nil || c.Simple.Body == nil || (c.Simple.Body.Text == nil && c.Simple.Body.HTML == nil) {
			return m, "BadRequestException", "Simple content needs Subject and Body"
		}
		m.Subject = c.Simple.Subject.Data
		if c.Simple.Body.Text != nil {
			m.Text = c.Simple.Body.Text.Data
		}
		if c.Simple.Body.HTML != nil {
			m.HTML = c.Simple.Body.HTML.Data
		}
		for _, h := range c.Simple.Headers {
			if h.Name == "" || strings.ContainsAny(h.Name+h.Value, "\r\n") {
				return m, "BadRequestException", "invalid header"
			}
			m.Headers = append(m.Headers, Header{Name: h.Name, Value: h.Value})
		}
	case c.Raw != nil:
		raw, err := base64.StdEncoding.DecodeString(c.Raw.Data)
		if err != nil || len(raw) == 0 {
			return m, "BadRequestException", "Raw.Data must be a base64 MIME message"
		}
		m.Raw = raw
	default:
		return m, "BadRequestException", "parcours sesapi supports Simple and Raw content"
	}
	m.From = in.FromEmailAddress
	if in.Destination != nil {
		m.To = in.Destination.ToAddresses
		m.Cc = in.Destination.CcAddresses
		m.Bcc = in.Destination.BccAddresses
	}
	m.ReplyTo = in.ReplyToAddresses
	m.ConfigurationSet = in.ConfigurationSetName
	for _, t := range in.EmailTags {
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		m.Tags[t.Name] = t.Value
	}
	return m, "", ""
}

// writeError answers in the REST-JSON error shape the SDK decodes.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func newMessageID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	// SES message ids look like 0100018c...-<uuid>-000000.
	return "0100" + hex.EncodeToString(b[:8]) + "-" + hex.EncodeToString(b[8:]) + "-000000"
}

func writeEML(dir string, m Message) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create eml dir: %w", err)
	}
	path := filepath.Join(dir, m.ID+".eml")
	if err := os.WriteFile(path, EML(m), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
