// Package lambdabench measures the Lambda artifacts: the size of each
// function's linux/arm64 bootstrap, built with the Makefile's flags, and
// its init time: a host build started against a minimal local Lambda
// Runtime API (the 2018-06-01 protocol), from process start to its first
// GET /2018-06-01/runtime/invocation/next.
package lambdabench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RuntimeAPI is a minimal Lambda Runtime API on a loopback port: it hands
// queued invocations to GET …/invocation/next (blocking until one is
// queued, as Lambda does), accepts …/invocation/{id}/response and
// …/invocation/{id}/error, and …/init/error. It records when the first
// next request arrived.
type RuntimeAPI struct {
	srv  *http.Server
	addr string

	queue chan invocation

	mu        sync.Mutex
	firstNext time.Time
	nextSeen  chan struct{}
	results   map[string]chan Result
	initErr   chan string
	seq       int
}

// Result is a function's answer to one invocation.
type Result struct {
	Body  []byte
	Error bool // posted to /error
}

type invocation struct {
	id      string
	payload []byte
}

const prefix = "/2018-06-01/runtime/"

// StartRuntimeAPI listens on 127.0.0.1.
func StartRuntimeAPI() (*RuntimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime api: %w", err)
	}
	r := &RuntimeAPI{addr: ln.Addr().String(), queue: make(chan invocation, 16), nextSeen: make(chan struct{}),
		results: map[string]chan Result{}, initErr: make(chan string, 1)}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Addr is host:port, the value of AWS_LAMBDA_RUNTIME_API.
func (r *RuntimeAPI) Addr() string { return r.addr }

// Close stops the server.
func (r *RuntimeAPI) Close() { _ = r.srv.Close() }

// FirstNext waits for the first next request and returns when it came.
// It fails when the function reported an init error or ctx ends first.
func (r *RuntimeAPI) FirstNext(ctx context.Context) (time.Time, error) {
	select {
	case <-r.nextSeen:
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.firstNext, nil
	case msg := <-r.initErr:
		return time.Time{}, fmt.Errorf("function reported an init error: %s", msg)
	case <-ctx.Done():
		return time.Time{}, fmt.Errorf("no next request: %w", ctx.Err())
	}
}

// Invoke queues one invocation and waits for its answer.
func (r *RuntimeAPI) Invoke(ctx context.Context, payload []byte) (Result, error) {
	r.mu.Lock()
	r.seq++
	id := "req-" + strconv.Itoa(r.seq)
	ch := make(chan Result, 1)
	r.results[id] = ch
	r.mu.Unlock()
	select {
	case r.queue <- invocation{id: id, payload: payload}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case res := <-ch:
		return res, nil
	case msg := <-r.initErr:
		return Result{}, fmt.Errorf("function reported an init error: %s", msg)
	case <-ctx.Done():
		return Result{}, fmt.Errorf("invocation %s: %w", id, ctx.Err())
	}
}

func (r *RuntimeAPI) serve(w http.ResponseWriter, req *http.Request) {
	path, ok := strings.CutPrefix(req.URL.Path, prefix)
	if !ok {
		http.NotFound(w, req)
		return
	}
	switch {
	case req.Method == http.MethodGet && path == "invocation/next":
		r.mu.Lock()
		if r.firstNext.IsZero() {
			r.firstNext = time.Now()
			close(r.nextSeen)
		}
		r.mu.Unlock()
		select {
		case inv := <-r.queue:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:parcours-bench")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(inv.payload)
		case <-req.Context().Done():
		}
	case req.Method == http.MethodPost && path == "init/error":
		b, _ := io.ReadAll(req.Body)
		select {
		case r.initErr <- errorMessage(b):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, _ := strings.Cut(rest, "/")
		r.mu.Lock()
		ch := r.results[id]
		r.mu.Unlock()
		if ch == nil || (kind != "response" && kind != "error") {
			http.NotFound(w, req)
			return
		}
		b, _ := io.ReadAll(req.Body)
		ch <- Result{Body: b, Error: kind == "error"}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, req)
	}
}

func errorMessage(b []byte) string {
	var e struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(b, &e) == nil && e.Message != "" {
		return e.Type + ": " + e.Message
	}
	return string(b)
}
