package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/devstack"
	"github.com/parcours/parcours/internal/lambdabench"
	"github.com/parcours/parcours/internal/touchpoint"
)

type e2e struct {
	Concurrency int
	Webhooks    int
	PerSecond   float64
	P50, P99    time.Duration
}

// Concurrencies are the levels measured end to end.
var Concurrencies = []int{1, 8, 64}

// endToEnd posts signed Shopify orders (one customer each) to a dev stack
// on loopback at each concurrency: every webhook goes through the HTTP API
// adapter, the ingest function and the embedded DynamoDB; the stream, router
// and engine run behind it as they do in parcours dev.
func (r *report) endToEnd(ctx context.Context, root string, count int) {
	if err := r.runE2E(ctx, root, count); err != nil {
		r.E2EErr = "not measured: " + err.Error()
	}
}

func (r *report) runE2E(ctx context.Context, root string, count int) error {
	b, err := os.ReadFile(filepath.Join(root, "events", "shopify", "orders-create.json"))
	if err != nil {
		return err
	}
	var fx events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &fx); err != nil {
		return err
	}
	st, err := devstack.Start(ctx, devstack.Config{Dir: root, Addr: "127.0.0.1:0", Start: time.Now()})
	if err != nil {
		return fmt.Errorf("dev stack: %w", err)
	}
	defer st.Close()
	r.Commands = append(r.Commands, fmt.Sprintf("dev stack (internal/devstack) on 127.0.0.1: %d signed Shopify orders/create webhooks (a new customer each) per concurrency level %v, keep-alive HTTP client", count, Concurrencies))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}, Timeout: 30 * time.Second}
	seq := 0
	for _, c := range Concurrencies {
		reqs := make([]*http.Request, count)
		for i := range reqs {
			seq++
			body := strings.ReplaceAll(fx.Body, "bob@example.com", "bob+"+strconv.Itoa(seq)+"@example.com")
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.URL()+"/webhooks/shopify", strings.NewReader(body))
			if err != nil {
				return err
			}
			for k, v := range fx.Headers {
				req.Header.Set(k, v)
			}
			req.Header.Del("content-length")
			req.Header.Set("x-shopify-event-id", "bench-"+strconv.Itoa(seq))
			req.Header.Set("x-shopify-hmac-sha256", touchpoint.SignHMAC(touchpoint.DevShopifySecret, []byte(body)))
			reqs[i] = req
		}
		lat := make([]time.Duration, count)
		var mu sync.Mutex
		var firstErr error
		next := 0
		start := time.Now()
		var wg sync.WaitGroup
		for range c {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= count {
						return
					}
					t0 := time.Now()
					resp, err := client.Do(reqs[i])
					if err == nil {
						var body []byte
						body, err = io.ReadAll(resp.Body)
						resp.Body.Close()
						if err == nil && (resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"stored"`))) {
							err = fmt.Errorf("answered %d %s", resp.StatusCode, body)
						}
					}
					lat[i] = time.Since(t0)
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		if firstErr != nil {
			return fmt.Errorf("concurrency %d: %w", c, firstErr)
		}
		st.Sync()
		slices.Sort(lat)
		r.E2E = append(r.E2E, e2e{Concurrency: c, Webhooks: count, PerSecond: float64(count) / elapsed.Seconds(),
			P50: lambdabench.Percentile(lat, 50), P99: lambdabench.Percentile(lat, 99)})
	}
	return nil
}
