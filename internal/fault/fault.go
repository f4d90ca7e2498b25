// Package fault injects AWS service errors into the local endpoints
// (DynamoDB, Step Functions, SES v2), deterministically from a seed, as
// HTTP middleware in front of them. The errors are the ones the services
// answer under load, in their wire shapes, so the real aws-sdk-go-v2
// clients (and their retryers) see exactly what they would see on AWS:
//
//   - DynamoDB: ProvisionedThroughputExceededException (400),
//     InternalServerError (500), TransactionConflictException (400) and,
//     for TransactWriteItems, TransactionCanceledException with a
//     TransactionConflict reason per item (400);
//   - Step Functions: ThrottlingException (400), ServiceUnavailable (503);
//   - SES v2: TooManyRequestsException (429), InternalFailure (500).
//
// Whether the n-th request with a given body fails is a function of the
// seed, the operation, the body and n only, never of timing: a run with
// the same seed and the same requests meets the same faults, whatever the
// interleaving of concurrent requests.
//
// A fault is injected before the request reaches the endpoint (nothing is
// written) unless the rule says AfterWrite: then the endpoint serves the
// request and the client gets the error anyway, as when DynamoDB commits a
// write and the answer is lost.
package fault

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Service names a local endpoint.
type Service string

// Services.
const (
	DynamoDB      Service = "dynamodb"
	StepFunctions Service = "sfn"
	SES           Service = "ses"
)

// Kind is an injected error: the service's error code.
type Kind string

// Kinds.
const (
	Throughput          Kind = "ProvisionedThroughputExceededException"
	InternalServerError Kind = "InternalServerError"
	TransactionConflict Kind = "TransactionConflictException"
	TransactionCanceled Kind = "TransactionCanceledException" // reasons: TransactionConflict
	Throttling          Kind = "ThrottlingException"
	ServiceUnavailable  Kind = "ServiceUnavailable"
	TooManyRequests     Kind = "TooManyRequestsException"
	InternalFailure     Kind = "InternalFailure"
)

// Rule makes a share of one service's requests fail.
type Rule struct {
	Service Service
	// Operations limits the rule to these operations (DynamoDB and Step
	// Functions: the X-Amz-Target action, e.g. "TransactWriteItems";
	// SES: "SendEmail"). Empty means every operation.
	Operations []string
	// Rate is the probability in [0, 1] that a matching request fails.
	Rate float64
	// Kinds are the errors injected; each fault picks one (from the same
	// deterministic draw). Empty means the service's defaults (DefaultKinds).
	Kinds []Kind
	// Match, when set, limits the rule to requests whose body it accepts
	// (e.g. one execution name).
	Match func(body []byte) bool
	// AfterWrite serves the request first and then answers the error.
	AfterWrite bool
}

// DefaultKinds are the errors a service's rule injects when it names none.
func DefaultKinds(s Service, op string) []Kind {
	switch s {
	case DynamoDB:
		if op == "TransactWriteItems" {
			return []Kind{Throughput, InternalServerError, TransactionCanceled}
		}
		return []Kind{Throughput, InternalServerError, TransactionConflict}
	case StepFunctions:
		return []Kind{Throttling, ServiceUnavailable}
	case SES:
		return []Kind{TooManyRequests, InternalFailure}
	}
	return nil
}

// Injector decides and injects faults. It is safe for concurrent use.
type Injector struct {
	seed  uint64
	rules []Rule

	mu       sync.Mutex
	seen     map[uint64]uint32 // request fingerprint → times seen
	counts   map[string]int    // "service op kind" → faults injected
	requests map[string]int    // "service op" → requests seen
	off      bool
}

// New returns an injector for the rules.
func New(seed int64, rules ...Rule) *Injector {
	return &Injector{seed: uint64(seed), rules: rules, seen: map[uint64]uint32{}, counts: map[string]int{}, requests: map[string]int{}}
}

// SetEnabled turns injection on or off (on after New); requests are still
// counted when off.
func (in *Injector) SetEnabled(on bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.off = !on
}

// Counts returns the faults injected so far, keyed "service operation kind".
func (in *Injector) Counts() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]int, len(in.counts))
	for k, v := range in.counts {
		out[k] = v
	}
	return out
}

// Requests returns the requests seen so far, keyed "service operation".
func (in *Injector) Requests() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]int, len(in.requests))
	for k, v := range in.requests {
		out[k] = v
	}
	return out
}

// Total is the number of faults injected so far.
func (in *Injector) Total() int {
	n := 0
	for _, v := range in.Counts() {
		n += v
	}
	return n
}

// Summary prints the counts, one "service operation kind: n" per line,
// sorted.
func (in *Injector) Summary() string {
	c := in.Counts()
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %d\n", k, c[k])
	}
	return b.String()
}

// Classify names the service and operation of a request to a local
// endpoint; ok is false for anything else (webhooks, the dev API).
func Classify(r *http.Request) (Service, string, bool) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "DynamoDB_20120810."):
		return DynamoDB, strings.TrimPrefix(target, "DynamoDB_20120810."), true
	case strings.HasPrefix(target, "AWSStepFunctions."):
		return StepFunctions, strings.TrimPrefix(target, "AWSStepFunctions."), true
	case strings.HasPrefix(r.URL.Path, "/v2/email/outbound-emails"):
		return SES, "SendEmail", true
	}
	return "", "", false
}

// Wrap returns next behind the injector. Requests that are not AWS API
// calls pass through untouched.
func (in *Injector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc, op, ok := Classify(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rule, kind := in.decide(svc, op, body)
		if rule == nil {
			next.ServeHTTP(w, r)
			return
		}
		if rule.AfterWrite {
			// Served, then the answer is lost.
			next.ServeHTTP(httptest.NewRecorder(), r)
		}
		write(w, svc, op, kind, body)
	})
}

// decide draws for one request and records what it decided.
func (in *Injector) decide(svc Service, op string, body []byte) (*Rule, Kind) {
	h := fnv.New64a()
	h.Write([]byte(svc))
	h.Write([]byte{0})
	h.Write([]byte(op))
	h.Write([]byte{0})
	h.Write(canonical(body))
	fp := h.Sum64()

	in.mu.Lock()
	defer in.mu.Unlock()
	in.requests[string(svc)+" "+op]++
	n := in.seen[fp]
	in.seen[fp] = n + 1
	if in.off {
		return nil, ""
	}
	for i := range in.rules {
		rule := &in.rules[i]
		if rule.Service != svc || rule.Rate <= 0 || (len(rule.Operations) > 0 && !contains(rule.Operations, op)) {
			continue
		}
		if rule.Match != nil && !rule.Match(body) {
			continue
		}
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], uint64(i)<<32|uint64(n))
		x := mix(in.seed ^ fp ^ mix(binary.LittleEndian.Uint64(buf[:])))
		// The top 53 bits are the draw; the low bits pick the kind.
		if float64(x>>11)/(1<<53) >= rule.Rate {
			continue
		}
		kinds := rule.Kinds
		if len(kinds) == 0 {
			kinds = DefaultKinds(svc, op)
		}
		kind := kinds[int(x&0x7ff)%len(kinds)]
		if kind == TransactionCanceled && op != "TransactWriteItems" {
			kind = TransactionConflict
		}
		in.counts[string(svc)+" "+op+" "+string(kind)]++
		return rule, kind
	}
	return nil, ""
}

// mix is SplitMix64's finalizer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// write answers the error in the service's wire shape.
func write(w http.ResponseWriter, svc Service, op string, kind Kind, body []byte) {
	switch svc {
	case DynamoDB:
		status := http.StatusBadRequest
		msg := ""
		out := map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#" + string(kind)}
		switch kind {
		case Throughput:
			msg = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
		case InternalServerError:
			status = http.StatusInternalServerError
			msg = "Internal server error"
		case TransactionConflict:
			msg = "Transaction is ongoing for the item"
		case TransactionCanceled:
			n := transactItems(body)
			reasons := make([]map[string]string, n)
			codes := make([]string, n)
			for i := range reasons {
				// The conflict is on the last item; the others were fine.
				reasons[i] = map[string]string{"Code": "None"}
				codes[i] = "None"
			}
			if n > 0 {
				reasons[n-1] = map[string]string{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
				codes[n-1] = "TransactionConflict"
			}
			msg = "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"
			out["CancellationReasons"] = reasons
		}
		out["message"] = msg
		b, _ := json.Marshal(out)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-ErrorType", string(kind))
		// DynamoDB signs every answer's body; the SDK checks it.
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
		w.WriteHeader(status)
		_, _ = w.Write(b)
	case StepFunctions:
		status := http.StatusBadRequest
		msg := "Rate exceeded"
		if kind == ServiceUnavailable {
			status, msg = http.StatusServiceUnavailable, "Service Unavailable"
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.swf.service.v2.model#" + string(kind), "message": msg})
	default: // SES v2, REST-JSON
		status := http.StatusTooManyRequests
		msg := "Maximum sending rate exceeded."
		if kind == InternalFailure {
			status, msg = http.StatusInternalServerError, "Internal failure"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", string(kind))
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}
}

// canonical is the body with JSON object keys sorted (the SDK serializes
// maps in random order) and without a top-level ClientRequestToken (the
// SDK fills TransactWriteItems' with a random idempotency token when the
// caller sets none), so equal requests have equal fingerprints.
func canonical(body []byte) []byte {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return body
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "ClientRequestToken")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return b
}

func transactItems(body []byte) int {
	var in struct {
		TransactItems []json.RawMessage `json:"TransactItems"`
	}
	if json.Unmarshal(body, &in) != nil {
		return 1
	}
	return len(in.TransactItems)
}
