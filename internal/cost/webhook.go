package cost

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// WebhookSources are the fixture folders under events/ that are webhook
// deliveries (events/ also holds stream and SES fixtures).
var WebhookSources = []string{"shopify", "woocommerce", "standard"}

// FixtureTime is when the committed fixtures were signed (the Standard
// source checks the timestamp).
var FixtureTime = time.Unix(1763798400, 0).UTC()

// Webhooks is what the committed webhook fixtures cost to store.
type Webhooks struct {
	Deliveries int // fixtures replayed
	Stored     int // answered "stored" (at least one event written)
	Failed     int // answered 5xx (counted in Deliveries, their units too)
	Units      Units
	// MaxWrite is the most write units one delivery took.
	MaxWrite float64
}

// WritePerStored is the average WRU of a stored delivery.
func (w Webhooks) WritePerStored() float64 {
	if w.Stored == 0 {
		return 0
	}
	return w.Units.Write / float64(w.Stored)
}

// ReadPerDelivery is the average RRU of a delivery.
func (w Webhooks) ReadPerDelivery() float64 {
	if w.Deliveries == 0 {
		return 0
	}
	return w.Units.Read / float64(w.Deliveries)
}

// Emulator is the embedded DynamoDB (minidyn) on a loopback port.
type Emulator struct {
	DB    *dynamodb.Client
	Table string
	srv   *http.Server
}

// StartEmulator starts minidyn on 127.0.0.1 with the project's table.
func StartEmulator(ctx context.Context) (*Emulator, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("dynamodb emulator: %w", err)
	}
	srv := &http.Server{Handler: ddbtest.Handler(server.NewServer()), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	db := ddbtest.NewClient("http://"+ln.Addr().String(), func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} })
	e := &Emulator{DB: db, Table: "parcours-cost", srv: srv}
	if err := profile.CreateTable(ctx, db, e.Table); err != nil {
		e.Close()
		return nil, fmt.Errorf("dynamodb emulator: %w", err)
	}
	return e, nil
}

// Close stops the emulator.
func (e *Emulator) Close() { _ = e.srv.Close() }

// MeasureWebhooks replays every webhook fixture under root/events (in
// source, then file order, into one table, so profiles grow as they would)
// through the real ingest handler and store, metering DynamoDB.
func MeasureWebhooks(ctx context.Context, root string, em *Emulator) (Webhooks, error) {
	sh, err := touchpoint.NewShopify(touchpoint.DevShopifySecret)
	if err != nil {
		return Webhooks{}, err
	}
	wc, err := touchpoint.NewWooCommerce(touchpoint.DevWooCommerceSecret)
	if err != nil {
		return Webhooks{}, err
	}
	now := func() time.Time { return FixtureTime }
	sd, err := touchpoint.NewStandard(touchpoint.DevStandardSecret, now)
	if err != nil {
		return Webhooks{}, err
	}
	meter := &Meter{DB: em.DB}
	store := profile.NewStore(meter, em.Table)
	store.Now = now
	h := ingest.New(store, emf.New(io.Discard, now), slog.New(slog.NewJSONHandler(io.Discard, nil)), sh, wc, sd)

	var w Webhooks
	for _, src := range WebhookSources {
		files, err := filepath.Glob(filepath.Join(root, "events", src, "*.json"))
		if err != nil {
			return Webhooks{}, err
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return Webhooks{}, err
			}
			var req events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(b, &req); err != nil {
				return Webhooks{}, fmt.Errorf("%s: %w", f, err)
			}
			before := meter.Units()
			resp, err := h.Handle(ctx, req)
			if err != nil {
				return Webhooks{}, fmt.Errorf("%s: %w", f, err)
			}
			if resp.StatusCode >= 500 {
				// e.g. privacy topics when no eraser is configured: the
				// delivery is retried by the shop; count it, keep going.
				w.Failed++
			}
			after := meter.Units()
			w.Deliveries++
			var r ingest.Response
			_ = json.Unmarshal([]byte(resp.Body), &r)
			if r.Status == "stored" {
				w.Stored++
			}
			w.MaxWrite = max(w.MaxWrite, after.Write-before.Write)
		}
	}
	w.Units = meter.Units()
	return w, nil
}
