package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/apigw"
	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

func init() {
	register(command{name: "dev", summary: "run parcours locally: webhooks + embedded DynamoDB on 127.0.0.1:8080 (PORT overrides)", run: runDev})
}

// devTable is the table `parcours dev` creates in its embedded emulator.
const devTable = "parcours"

// devSecret is one source's signing secret for `parcours dev`.
type devSecret struct {
	source, env, value string
	dflt               bool // the public dev default, not the environment's
}

func devSecrets() []devSecret {
	out := []devSecret{
		{"shopify", "SHOPIFY_WEBHOOK_SECRET", touchpoint.DevShopifySecret, true},
		{"woocommerce", "WOOCOMMERCE_WEBHOOK_SECRET", touchpoint.DevWooCommerceSecret, true},
		{"standard", "STANDARD_WEBHOOK_SECRET", touchpoint.DevStandardSecret, true},
	}
	for i, s := range out {
		if v := os.Getenv(s.env); v != "" {
			out[i].value, out[i].dflt = v, false
		}
	}
	return out
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: parcours dev\n\nEnvironment: PORT (default 8080), SHOPIFY_WEBHOOK_SECRET, WOOCOMMERCE_WEBHOOK_SECRET, STANDARD_WEBHOOK_SECRET (dev defaults when unset)")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintf(stderr, "parcours dev: cannot listen on 127.0.0.1:%s (is it taken? set PORT to use another port): %v\n", port, err)
		return 1
	}
	secrets := devSecrets()
	d, err := newDevServer(ln, secrets, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "parcours dev: %v\n", err)
		return 1
	}
	errc := make(chan error, 1)
	go func() { errc <- d.srv.Serve(ln) }()
	if err := profile.CreateTable(ctx, d.db, devTable); err != nil {
		fmt.Fprintf(stderr, "parcours dev: %v\n", err)
		d.srv.Close()
		return 1
	}
	d.banner(stdout, secrets)
	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintf(stderr, "parcours dev: %v\n", err)
		return 1
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.srv.Shutdown(shutdown); err != nil {
		fmt.Fprintf(stderr, "parcours dev: shutdown: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "parcours dev: stopped")
	return 0
}

// devServer is one loopback port serving the webhook routes of
// template.yaml, the dev API and, told apart by X-Amz-Target, a DynamoDB
// endpoint backed by the embedded emulator.
type devServer struct {
	base    string // http://127.0.0.1:PORT
	srv     *http.Server
	mux     *http.ServeMux
	db      *dynamodb.Client
	store   *profile.Store
	handler *ingest.Handler
	log     *slog.Logger
}

func newDevServer(ln net.Listener, secrets []devSecret, log *slog.Logger) (*devServer, error) {
	base := "http://" + ln.Addr().String()
	cfg := ingest.Config{TableName: devTable}
	for _, s := range secrets {
		switch s.source {
		case "shopify":
			cfg.ShopifySecret = s.value
		case "woocommerce":
			cfg.WooCommerceSecret = s.value
		case "standard":
			cfg.StandardSecret = s.value
		}
	}
	sources, err := cfg.Sources(time.Now)
	if err != nil {
		return nil, err
	}
	db := ddbtest.NewClient(base)
	d := &devServer{base: base, mux: http.NewServeMux(), db: db, log: log}
	d.store = profile.NewStore(db, devTable)
	d.handler = ingest.New(d.store, emf.New(io.Discard, time.Now), log, sources...)
	d.mux.HandleFunc("POST /webhooks/{source}", d.webhook)
	d.mux.HandleFunc("GET /_dev/api/profiles/{email}", d.profile)
	d.mux.HandleFunc("POST /_dev/api/replay", d.replay)
	ddb := ddbtest.Handler(server.NewServer())
	d.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ddbtest.IsDynamoDBRequest(r) {
				ddb.ServeHTTP(w, r)
				return
			}
			d.mux.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	return d, nil
}

// webhook is the route API Gateway serves in AWS: the request becomes the
// same APIGatewayV2HTTPRequest and goes to the same ingest.Handler.
func (d *devServer) webhook(w http.ResponseWriter, r *http.Request) {
	req, err := apigw.Request(r, "POST /webhooks/{source}", map[string]string{"source": r.PathValue("source")}, apigw.MaxBody)
	if errors.Is(err, apigw.ErrTooLarge) {
		writeDevJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "Request Entity Too Large"})
		return
	}
	if err != nil {
		writeDevJSON(w, http.StatusBadRequest, map[string]string{"message": "Bad Request"})
		return
	}
	resp, err := d.handler.Handle(r.Context(), req)
	if err != nil {
		d.log.Error("ingest handler", "error", err)
		writeDevJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
		return
	}
	if err := apigw.WriteResponse(w, resp); err != nil {
		d.log.Error("write response", "error", err)
	}
}

// profile answers GET /_dev/api/profiles/{email}: the View journeys read,
// and the profile's orders.
func (d *devServer) profile(w http.ResponseWriter, r *http.Request) {
	email := profile.NormalizeEmail(r.PathValue("email"))
	v, err := d.store.GetView(r.Context(), email)
	if errors.Is(err, profile.ErrNotFound) {
		writeDevJSON(w, http.StatusNotFound, map[string]string{"status": "not_found", "reason": "no profile for this email"})
		return
	}
	if err != nil {
		d.log.Error("get profile", "error", err)
		writeDevJSON(w, http.StatusInternalServerError, map[string]string{"status": "error", "reason": "storage error"})
		return
	}
	orders, err := d.store.Orders(r.Context(), email)
	if err != nil {
		d.log.Error("get orders", "error", err)
		writeDevJSON(w, http.StatusInternalServerError, map[string]string{"status": "error", "reason": "storage error"})
		return
	}
	if orders == nil {
		orders = []profile.OrderView{}
	}
	writeDevJSON(w, http.StatusOK, map[string]any{"profile": v, "orders": orders})
}

// replay takes a fixture from events/ (an API Gateway event: headers and
// body as the shop sent them) and sends it through the webhook route, HTTP
// conversion included: `curl --data-binary @events/shopify/orders-create.json …/_dev/api/replay`.
func (d *devServer) replay(w http.ResponseWriter, r *http.Request) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, apigw.MaxBody)).Decode(&ev); err != nil || ev.RawPath == "" {
		writeDevJSON(w, http.StatusBadRequest, map[string]string{"status": "rejected", "reason": "body must be an API Gateway v2 event such as events/shopify/orders-create.json"})
		return
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			writeDevJSON(w, http.StatusBadRequest, map[string]string{"status": "rejected", "reason": "body: invalid base64"})
			return
		}
		body = b
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodPost
	}
	inner := httptest.NewRequestWithContext(r.Context(), method, ev.RawPath, bytes.NewReader(body))
	for k, v := range ev.Headers {
		inner.Header.Set(k, v)
	}
	d.mux.ServeHTTP(w, inner)
}

func writeDevJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (d *devServer) banner(w io.Writer, secrets []devSecret) {
	fmt.Fprintf(w, "parcours dev: listening on %s\n\n", d.base)
	fmt.Fprintln(w, "Webhooks (POST, signed with these secrets):")
	for _, s := range secrets {
		origin := "dev default; set " + s.env + " to override"
		if !s.dflt {
			origin = "from " + s.env
		}
		fmt.Fprintf(w, "  %-12s %s/webhooks/%s\n               secret %s  (%s)\n", s.source, d.base, s.source, s.value, origin)
	}
	fmt.Fprintf(w, "\nProfiles:  GET %s/_dev/api/profiles/{email}\n", d.base)
	fmt.Fprintf(w, "DynamoDB:  %s (embedded emulator, table %q; any credentials, region us-east-1)\n", d.base, devTable)
	fmt.Fprintf(w, "           AWS_ENDPOINT_URL_DYNAMODB=%s aws dynamodb scan --table-name %s\n", d.base, devTable)
	fmt.Fprintln(w, "\nTry it (from the repository root): post a signed Shopify order, then read the profile:")
	fmt.Fprintf(w, "  curl -s --data-binary @events/shopify/orders-create.json %s/_dev/api/replay\n", d.base)
	fmt.Fprintf(w, "  curl -s %s/_dev/api/profiles/bob@example.com\n", d.base)
	fmt.Fprintln(w, "(replay sends a fixture's headers and body to its webhook route. The fixtures are signed with the dev")
	fmt.Fprintln(w, " defaults; events/standard/ ones carry a fixed timestamp, which the ±5 minute check rejects.)")
	fmt.Fprintln(w, "\nCtrl-C stops.")
}
