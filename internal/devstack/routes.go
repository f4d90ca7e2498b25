package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/parcours/parcours/internal/apigw"
)

// serveRoute runs the function of the template route matching the request,
// as API Gateway (HTTP API, payload 2.0) would.
func (s *Stack) serveRoute(w http.ResponseWriter, r *http.Request) {
	route, params, allowed := s.match(r.Method, r.URL.Path)
	if route == nil {
		if len(allowed) > 0 {
			apiError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		apiError(w, http.StatusNotFound, "Not Found")
		return
	}
	f := s.functions[route.Function]
	if f == nil || f.handler == nil {
		s.log.Error("dev stack: route has no runnable function", "route", route.RouteKey(), "function", route.Function)
		apiError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	req, err := apigw.Request(r, route.RouteKey(), params, apigw.MaxBody)
	if errors.Is(err, apigw.ErrTooLarge) {
		apiError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	payload, err := json.Marshal(req)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	out, err := f.handler.Invoke(r.Context(), payload)
	if err != nil {
		s.log.Error("dev stack: function failed", "function", f.id, "route", route.RouteKey(), "err", err)
		apiError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		s.log.Error("dev stack: function answer is not a payload 2.0 response", "function", f.id, "err", err)
		apiError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if err := apigw.WriteResponse(w, resp); err != nil {
		s.log.Error("dev stack: function answer", "function", f.id, "err", err)
		apiError(w, http.StatusInternalServerError, "Internal Server Error")
	}
}

// match finds the route for a request: the most specific path wins (API
// Gateway prefers literal segments over parameters, and greedy paths
// last). allowed lists the methods of routes matching the path.
func (s *Stack) match(method, path string) (*Route, map[string]string, []string) {
	type cand struct {
		r      *Route
		params map[string]string
		score  int
	}
	var cands []cand
	var allowed []string
	for i := range s.routes {
		r := &s.routes[i]
		params, ok := matchRoute(r.Path, path)
		if !ok {
			continue
		}
		allowed = append(allowed, r.Method)
		if !methodMatches(r.Method, method) {
			continue
		}
		score := 0
		for _, seg := range strings.Split(r.Path, "/") {
			switch {
			case strings.HasSuffix(seg, "+}"):
			case strings.HasPrefix(seg, "{"):
				score += 1
			default:
				score += 2
			}
		}
		if r.Method != "ANY" {
			score++
		}
		cands = append(cands, cand{r, params, score})
	}
	if len(cands) == 0 {
		return nil, nil, allowed
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	return cands[0].r, cands[0].params, allowed
}

// apiError answers like API Gateway does when no integration ran.
func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// invokeRouter hands a stream batch to the router function as Lambda's
// event source mapping does.
func invokeRouter(ctx context.Context, h lambda.Handler, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	payload, err := json.Marshal(ev)
	if err != nil {
		return resp, fmt.Errorf("encode stream batch: %w", err)
	}
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		return resp, fmt.Errorf("router: %w", err)
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, fmt.Errorf("router answer: %w", err)
	}
	return resp, nil
}
