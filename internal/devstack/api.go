package devstack

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/apigw"
	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/sesapi"
	"github.com/parcours/parcours/internal/touchpoint"
)

// Email is one message of the outbox, as the customer received it.
type Email struct {
	ID      string            `json:"id"`
	From    string            `json:"from"`
	To      []string          `json:"to"`
	Subject string            `json:"subject"`
	Journey string            `json:"journey"`
	Step    string            `json:"step"`
	HTML    string            `json:"html"`
	Text    string            `json:"text"`
	Headers map[string]string `json:"headers"`
	SentAt  time.Time         `json:"sent_at"`
}

// UnsubscribeURL is the link of the List-Unsubscribe header, or "".
func (e Email) UnsubscribeURL() string {
	v := e.Headers["List-Unsubscribe"]
	if i, j := strings.Index(v, "<"), strings.Index(v, ">"); i >= 0 && j > i {
		return v[i+1 : j]
	}
	return ""
}

func emailOf(m sesapi.Message) Email {
	h := map[string]string{}
	for _, x := range m.Headers {
		h[x.Name] = x.Value
	}
	return Email{ID: m.ID, From: m.From, To: m.To, Subject: m.Subject, Journey: m.Tags["journey"], Step: m.Tags["step"],
		HTML: m.HTML, Text: m.Text, Headers: h, SentAt: m.ReceivedAt}
}

// Outbox returns every email sent, oldest first (after the stream has
// delivered what is pending).
func (s *Stack) Outbox() []Email {
	s.Sync()
	msgs := s.ses.Outbox()
	out := make([]Email, len(msgs))
	for i, m := range msgs {
		out[i] = emailOf(m)
	}
	return out
}

// Execution summarizes one journey execution.
type Execution struct {
	Name         string    `json:"name"`
	ARN          string    `json:"arn"`
	Journey      string    `json:"journey"`
	StateMachine string    `json:"state_machine"`
	Profile      string    `json:"profile"`
	Status       string    `json:"status"`
	StartedAt    time.Time `json:"started_at"`
	StoppedAt    time.Time `json:"stopped_at,omitzero"`
	// State is the state the execution is in (or ended in).
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// StateVisit is one state entered, at virtual times.
type StateVisit struct {
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	EnteredAt time.Time `json:"entered_at"`
	ExitedAt  time.Time `json:"exited_at,omitzero"`
	Input     any       `json:"input"`
	Output    any       `json:"output,omitempty"`
}

// ExecutionDetail is an execution with its input, output and states.
type ExecutionDetail struct {
	Execution
	Input  any          `json:"input"`
	Output any          `json:"output,omitempty"`
	States []StateVisit `json:"states"`
}

// Executions lists executions, oldest first, filtered by journey name and
// profile email when not empty.
func (s *Stack) Executions(journeyName, email string) []Execution {
	s.Sync()
	email = profile.NormalizeEmail(email)
	var out []Execution
	for _, x := range s.sfn.Executions() {
		e := s.summary(x.ARN, x.Name, x.StateMachineARN, x.Status, x.StartDate, x.StopDate, x.Error, x.Cause)
		if (journeyName == "" || e.Journey == journeyName) && (email == "" || e.Profile == email) {
			out = append(out, e)
		}
	}
	return out
}

func (s *Stack) summary(arn, name, smARN, status string, start, stop time.Time, errName, cause string) Execution {
	e := Execution{Name: name, ARN: arn, Status: status, StartedAt: start, StoppedAt: stop, Error: errName, Cause: cause}
	if m := s.machineByARN(smARN); m != nil {
		e.StateMachine = m.res.LogicalID
		for _, mj := range s.manifest.Journeys {
			if mj.StateMachine == m.res.LogicalID {
				e.Journey = mj.Journey
			}
		}
	}
	if x, ok := s.engine.Snapshot(name); ok {
		if in, ok := asl.Plain(x.Input).(map[string]any); ok {
			e.Profile, _ = in["profile_key"].(string)
		}
		if e.Journey == "" {
			if in, ok := asl.Plain(x.Input).(map[string]any); ok {
				e.Journey, _ = in["journey"].(string)
			}
		}
	}
	if x := s.engine.Get(name); x != nil {
		if st := x.States(); len(st) > 0 {
			e.State = st[len(st)-1].Name
		}
	}
	return e
}

// ExecutionDetail returns one execution by name.
func (s *Stack) ExecutionDetail(name string) (ExecutionDetail, bool) {
	s.Sync()
	for _, x := range s.sfn.Executions() {
		if x.Name != name {
			continue
		}
		d := ExecutionDetail{Execution: s.summary(x.ARN, x.Name, x.StateMachineARN, x.Status, x.StartDate, x.StopDate, x.Error, x.Cause)}
		d.Input, _ = decodeJSON([]byte(x.Input))
		if snap, ok := s.engine.Snapshot(name); ok && snap.Status == asl.StatusSucceeded {
			d.Output = snap.Output
		}
		d.States = []StateVisit{}
		if ex := s.engine.Get(name); ex != nil {
			for _, st := range ex.States() {
				d.States = append(d.States, StateVisit{Name: st.Name, Type: st.Type, EnteredAt: st.EnteredAt, ExitedAt: st.ExitedAt, Input: st.Input, Output: st.Output})
			}
		}
		return d, true
	}
	return ExecutionDetail{}, false
}

// Profile returns a customer's profile view (profile.ErrNotFound when
// there is none).
func (s *Stack) Profile(email string) (profile.View, error) {
	s.Sync()
	return s.store(s.table).GetView(context.Background(), profile.NormalizeEmail(email))
}

// ParseDuration reads a clock step: a Go duration ("90m", "24h") or whole
// days and weeks ("3d", "2w").
func ParseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if m := dayRE.FindStringSubmatch(v); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := 24 * time.Hour
		if m[2] == "w" {
			unit *= 7
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("duration %q: want a positive duration such as 90m, 24h, 3d or 2w", v)
	}
	return d, nil
}

var dayRE = regexp.MustCompile(`^(\d{1,5})([dw])$`)

// apiHandler serves /_dev/api/.
func (s *Stack) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_dev/api/profiles/{email}", func(w http.ResponseWriter, r *http.Request) {
		email := profile.NormalizeEmail(r.PathValue("email"))
		v, err := s.Profile(email)
		if errors.Is(err, profile.ErrNotFound) {
			writeJSON(w, http.StatusNotFound, map[string]string{"status": "not_found", "reason": "no profile for this email"})
			return
		}
		var orders []profile.OrderView
		if err == nil {
			orders, err = s.store(s.table).Orders(r.Context(), email)
		}
		if err != nil {
			s.log.Error("dev api: read profile", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"status": "error", "reason": "storage error"})
			return
		}
		if orders == nil {
			orders = []profile.OrderView{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"profile": v, "orders": orders})
	})
	mux.HandleFunc("POST /_dev/api/replay", s.replay)
	mux.HandleFunc("GET /_dev/api/executions", func(w http.ResponseWriter, r *http.Request) {
		list := s.Executions(r.URL.Query().Get("journey"), r.URL.Query().Get("profile"))
		if list == nil {
			list = []Execution{}
		}
		writeJSON(w, http.StatusOK, list)
	})
	mux.HandleFunc("GET /_dev/api/executions/{name}", func(w http.ResponseWriter, r *http.Request) {
		d, ok := s.ExecutionDetail(r.PathValue("name"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "execution not found"})
			return
		}
		writeJSON(w, http.StatusOK, d)
	})
	mux.HandleFunc("GET /_dev/api/outbox", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Outbox())
	})
	mux.HandleFunc("GET /_dev/api/clock", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.clockJSON())
	})
	mux.HandleFunc("POST /_dev/api/clock/advance", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Duration string `json:"duration"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be JSON: {"duration": "24h"}`})
			return
		}
		d, err := ParseDuration(in.Duration)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s.Advance(d)
		writeJSON(w, http.StatusOK, s.clockJSON())
	})
	mux.HandleFunc("/_dev/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such dev API endpoint"})
	})
	return mux
}

func (s *Stack) clockJSON() map[string]any {
	out := map[string]any{"now": s.Now().UTC().Format(time.RFC3339), "speed": s.cfg.Speed}
	if at, ok := s.engine.NextTimer(); ok {
		out["next_wait"] = at.UTC().Format(time.RFC3339)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// replay takes a fixture from events/ (an API Gateway v2 event: the
// headers and body the sender sent) and sends it through its route, HTTP
// conversion included:
//
//	curl -s --data-binary @events/shopify/orders-create.json http://127.0.0.1:8080/_dev/api/replay
//
// A Standard Webhooks fixture whose signature is valid for the stack's
// secret is re-signed at the stack's current time, so its timestamp
// passes the five-minute check.
func (s *Stack) replay(w http.ResponseWriter, r *http.Request) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, apigw.MaxBody)).Decode(&ev); err != nil || ev.RawPath == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "rejected", "reason": "body must be an API Gateway v2 event such as events/shopify/orders-create.json"})
		return
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"status": "rejected", "reason": "body: invalid base64"})
			return
		}
		body = b
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodPost
	}
	inner := httptest.NewRequestWithContext(r.Context(), method, ev.RawPath, bytes.NewReader(body))
	inner.RemoteAddr = r.RemoteAddr
	inner.Host = r.Host
	for k, v := range ev.Headers {
		if k != "content-length" {
			inner.Header.Set(k, v)
		}
	}
	s.resignStandard(inner.Header, body)
	s.serveRoute(w, inner)
}

func (s *Stack) resignStandard(h http.Header, body []byte) {
	id, ts, sig := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	secret := s.Secrets()["STANDARD_WEBHOOK_SECRET"]
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || sig == "" || err != nil || secret == "" {
		return
	}
	for _, sec1 := range strings.Split(secret, ",") {
		want, err := touchpoint.SignStandard(strings.TrimSpace(sec1), id, time.Unix(sec, 0), body)
		if err != nil || !strings.Contains(" "+sig+" ", " "+want+" ") {
			continue
		}
		now := s.Now()
		fresh, err := touchpoint.SignStandard(strings.TrimSpace(sec1), id, now, body)
		if err == nil {
			h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
			h.Set("webhook-signature", fresh)
		}
		return
	}
}
