// Package devstack is `parcours dev`: the whole product in one process on
// loopback, with no AWS account and no Docker. It reads template.yaml for
// the HTTP API routes, each function's environment and the state machines,
// and serves on one listener:
//
//   - the HTTP API routes, each converted to an API Gateway payload 2.0
//     event and handed to the same handler code the Lambda runs;
//   - a DynamoDB endpoint (the embedded minidyn emulator) whose writes of
//     event items feed an emulated DynamoDB stream into the router
//     function;
//   - a Step Functions endpoint (internal/sfnapi) whose executions run on
//     the project's ASL engine, with lambda:invoke and dynamodb:getItem
//     tasks resolved to the local functions and the DynamoDB endpoint;
//   - an SES v2 endpoint keeping an outbox (internal/sesapi);
//   - the dev JSON API under /_dev/api/ and the web console under /_dev/.
//
// The functions talk to these endpoints through real aws-sdk-go-v2 clients
// whose base endpoint is the stack's URL; nothing in functions/ or the
// other internal packages knows it runs locally. docs/dev.md is the guide.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/fault"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/sdkhttp"
	"github.com/parcours/parcours/internal/sesapi"
	"github.com/parcours/parcours/internal/sfnapi"
)

// Config configures a dev stack.
type Config struct {
	// Dir is the repository root: template.yaml, statemachines/,
	// journeys/. Empty means the current directory.
	Dir string
	// Addr is the loopback address to listen on; "127.0.0.1:0" (or empty)
	// picks a free port.
	Addr string
	// Speed is how many virtual seconds pass per real second. 0 stops the
	// clock: only Advance moves it (what tests want). parcours dev uses 1.
	Speed float64
	// Start is the virtual time the stack starts at; zero means now.
	Start time.Time
	// OutboxDir, when set, receives every email as <message id>.eml.
	OutboxDir string
	// Log receives the stack's and the functions' JSON log lines and
	// metrics; nil discards them.
	Log io.Writer
	// Getenv overrides the signing secrets (SHOPIFY_WEBHOOK_SECRET,
	// WOOCOMMERCE_WEBHOOK_SECRET, STANDARD_WEBHOOK_SECRET,
	// UNSUBSCRIBE_SECRET); nil means no overrides (the dev secrets).
	Getenv func(string) string
	// StackName stands in for ${AWS::StackName}; empty means "parcours".
	StackName string
	// Faults, when set, injects AWS errors into the stack's DynamoDB,
	// Step Functions and SES endpoints (internal/fault), for every
	// client: the functions, the engine's tasks and outside callers.
	Faults *fault.Injector
	// StreamBackoff is the stream's first wait before redelivering a
	// record the router failed (doubling, at most 2 s); 0 means 50 ms.
	// StreamAttempts is how often a record is delivered before it is
	// dropped to DeadLetters; 0 means 10.
	StreamBackoff  time.Duration
	StreamAttempts int
	// StreamWorkers is how many partition keys the stream delivers to the
	// router at once (order is kept per key); 0 means
	// DefaultStreamWorkers.
	StreamWorkers int
	// Seed seeds the ASL engine's random source: which branch a journey's
	// split step takes (States.MathRandom), States.UUID, retry jitter.
	// Zero means a time-based seed (parcours dev); simulate, demo and
	// tests set a fixed one (FixedSeed) so a split gives the same timeline
	// every run.
	Seed int64
}

// FixedSeed is the Seed of runs that must repeat: parcours simulate,
// parcours demo and the tests.
const FixedSeed int64 = 1

// Stack is a running dev stack.
type Stack struct {
	cfg       Config
	dir       string
	url       string
	stackName string
	table     string
	ln        net.Listener
	srv       *http.Server
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup // the HTTP server
	workers   sync.WaitGroup // the stream worker and the clock ticker
	log       *slog.Logger
	metrics   io.Writer
	getenv    func(string) string

	clock  *asl.VirtualClock
	engine *asl.Engine
	aws    aws.Config
	ddb    *dynamodb.Client
	stream *stream
	ses    *sesapi.Server
	sfn    *sfnapi.Server
	dynamo http.Handler

	machines  []*machine
	functions map[string]*function
	routes    []Route
	manifest  contract.Manifest
	notes     []string

	trackMu sync.Mutex
	running map[string]string // engine execution name → sfnapi execution ARN

	closeOnce sync.Once
}

// PortInUseError is returned when the address is taken.
type PortInUseError struct{ Addr string }

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("listen on %s: the port is already in use (is another parcours dev running? pick another port with PORT=<port>)", e.Addr)
}

// Start starts a dev stack and returns when it serves.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	s := &Stack{cfg: cfg, functions: map[string]*function{}, running: map[string]string{}}
	s.dir = cfg.Dir
	if s.dir == "" {
		s.dir = "."
	}
	out := cfg.Log
	if out == nil {
		out = io.Discard
	}
	out = &syncWriter{w: out} // invoke.go
	s.metrics = out
	s.log = slog.New(slog.NewJSONHandler(out, nil))
	s.getenv = cfg.Getenv
	if s.getenv == nil {
		s.getenv = func(string) string { return "" }
	}
	s.stackName = cfg.StackName
	if s.stackName == "" {
		s.stackName = DefaultStackName
	}
	start := cfg.Start
	if start.IsZero() {
		start = time.Now()
	}
	s.clock = asl.NewVirtualClock(start.UTC())
	if cfg.Speed < 0 {
		return nil, fmt.Errorf("speed %v: want 0 or more virtual seconds per second", cfg.Speed)
	}
	s.clock.SetSpeed(cfg.Speed)

	tmplFile := filepath.Join(s.dir, "template.yaml")
	if _, err := os.Stat(tmplFile); err != nil {
		return nil, fmt.Errorf("template.yaml not found in %s (run parcours dev from the repository root)", s.dir)
	}

	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("address %q: the dev stack listens on loopback only (127.0.0.1)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, &PortInUseError{Addr: addr}
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	if err := s.setup(); err != nil {
		ln.Close()
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.srv = &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); _ = s.srv.Serve(ln) }()
	s.workers.Add(2)
	go func() { defer s.workers.Done(); s.stream.run(s.ctx) }()
	go func() { defer s.workers.Done(); s.tick() }()

	if err := profile.CreateTable(ctx, s.ddb, s.table); err != nil {
		s.Close()
		return nil, fmt.Errorf("dev stack: %w", err)
	}
	for _, n := range s.notes {
		s.log.Warn("dev stack: " + n)
	}
	s.log.Info("dev stack started", "url", s.url, "table", s.table, "state_machines", len(s.machines))
	return s, nil
}

// setup reads the template and builds endpoints and functions.
func (s *Stack) setup() error {
	t, err := LoadTemplate(filepath.Join(s.dir, "template.yaml"), s.stackName, s.url)
	if err != nil {
		return err
	}
	s.notes = append(s.notes, t.Notes...)
	s.table = t.Table
	if s.table == "" {
		s.table = s.stackName + "-Table"
		s.note("template.yaml declares no DynamoDB table yet: using %s", s.table)
	}

	awsCfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(LocalRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
		config.WithBaseEndpoint(s.url),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		return fmt.Errorf("aws config for the local endpoints: %w", err)
	}
	// The endpoint is the stack's own: a shell's AWS_ENDPOINT_URL_* must
	// not send the functions elsewhere.
	awsCfg.ConfigSources = nil
	awsCfg.HTTPClient = sdkhttp.Wrap(awsCfg.HTTPClient) // see internal/sdkhttp
	s.aws = awsCfg
	s.ddb = dynamodb.NewFromConfig(awsCfg)

	s.stream = newStream(s.table, s.Now, s.log)
	if s.cfg.StreamBackoff > 0 {
		s.stream.minBackoff = s.cfg.StreamBackoff
	}
	if s.cfg.StreamAttempts > 0 {
		s.stream.maxAttempts = s.cfg.StreamAttempts
	}
	if s.cfg.StreamWorkers > 0 {
		s.stream.workers = s.cfg.StreamWorkers
	}
	// txFront serves TransactWriteItems without minidyn's per-transaction
	// table copy (ddbtx.go), over items spread on several minidyn servers
	// (ddbshard.go).
	s.dynamo = s.stream.wrap(newTxFront(newShards(dynamoShards), s.log))
	sesOpts := []sesapi.Option{sesapi.WithClock(s.Now)}
	if s.cfg.OutboxDir != "" {
		sesOpts = append(sesOpts, sesapi.WithEMLDir(s.cfg.OutboxDir))
	}
	s.ses = sesapi.NewServer(sesOpts...)
	s.sfn = sfnapi.NewServer(sfnapi.WithRunner(runner{s}), sfnapi.WithClock(s.Now))
	seed := s.cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	s.engine = asl.NewEngine(asl.EngineOptions{Clock: s.clock, Resolver: s, Seed: seed})

	for _, res := range t.StateMachines {
		m, err := loadMachine(s.dir, res)
		if err != nil {
			return err
		}
		s.machines = append(s.machines, m)
		s.sfn.AddStateMachine(res.ARN)
	}
	if err := s.setupFunctions(t); err != nil {
		return err
	}
	if f := s.functions[RouterFunction]; f != nil && f.handler != nil {
		h := f.handler
		s.stream.deliver = func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			return invokeRouter(ctx, h, ev)
		}
	}
	return nil
}

func (s *Stack) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// Notes are what the stack had to assume about template.yaml.
func (s *Stack) Notes() []string { return append([]string(nil), s.notes...) }

// URL is the stack's base URL, http://127.0.0.1:<port>.
func (s *Stack) URL() string { return s.url }

// Table is the DynamoDB table's name.
func (s *Stack) Table() string { return s.table }

// Now is the stack's (virtual) time.
func (s *Stack) Now() time.Time { return s.clock.Now() }

// Secrets returns the signing secrets the functions use, by variable name.
func (s *Stack) Secrets() map[string]string {
	out := map[string]string{}
	for _, f := range s.functions {
		for _, name := range secretVars {
			if v, ok := f.env[name]; ok {
				out[name] = v
			}
		}
	}
	return out
}

// Env returns a function's resolved environment (nil for an unknown id).
func (s *Stack) Env(logicalID string) map[string]string {
	f := s.functions[logicalID]
	if f == nil {
		return nil
	}
	out := make(map[string]string, len(f.env))
	for k, v := range f.env {
		out[k] = v
	}
	return out
}

// Routes returns the HTTP API routes served.
func (s *Stack) Routes() []Route { return append([]Route(nil), s.routes...) }

// Sync waits until every stream record written so far has reached the
// router (and so every journey it starts has run to its first wait).
func (s *Stack) Sync() { s.stream.idle() }

// DeadLetters returns the stream records dropped after the retry budget
// (the dev stack's stand-in for the event source mapping's OnFailure
// destination), oldest first.
func (s *Stack) DeadLetters() []DeadLetter { return s.stream.deadLetters() }

// Advance moves the clock forward by d, firing the waits that fall due in
// time order, and returns the new time. It first lets the stream deliver
// what is pending.
func (s *Stack) Advance(d time.Duration) time.Time {
	s.Sync()
	s.engine.Advance(s.ctx, d)
	s.syncFinished()
	s.Sync()
	return s.Now()
}

// tick fires due timers when the clock flows.
func (s *Stack) tick() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if at, ok := s.engine.NextTimer(); ok && !at.After(s.clock.Now()) {
			s.engine.Tick(s.ctx)
			s.syncFinished()
		}
	}
}

// Close shuts the stack down: the listener first, then the stream and the
// clock. Executions still waiting are dropped (the stack keeps no state).
func (s *Stack) Close() error {
	var err error
	s.closeOnce.Do(func() {
		// The stream worker and the clock ticker are the stack's own
		// clients: stop them first, so the server's connections go idle and
		// Shutdown does not wait on traffic the stack itself makes.
		s.cancel()
		s.stream.close()
		s.workers.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err = s.srv.Shutdown(ctx); err != nil {
			// Requests still running after the grace period are cut.
			err = fmt.Errorf("dev stack shutdown: %w", errors.Join(err, s.srv.Close()))
		}
		s.wg.Wait()
	})
	return err
}

// handler routes a request: AWS API calls by their protocol, the dev
// console and API by path, everything else to the template's routes.
func (s *Stack) handler() http.Handler {
	if s.cfg.Faults != nil {
		return s.cfg.Faults.Wrap(s.routeHandler())
	}
	return s.routeHandler()
}

func (s *Stack) routeHandler() http.Handler {
	dev := s.devHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		switch {
		case strings.HasPrefix(target, "DynamoDB_20120810."):
			s.dynamo.ServeHTTP(w, r)
		case strings.HasPrefix(target, "AWSStepFunctions."):
			s.sfnHandler().ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/v2/email/"):
			s.ses.ServeHTTP(w, r)
		case r.URL.Path == "/_dev" || strings.HasPrefix(r.URL.Path, "/_dev/"):
			dev.ServeHTTP(w, r)
		case r.URL.Path == "/" && r.Method == http.MethodGet:
			http.Redirect(w, r, "/_dev/", http.StatusFound)
		default:
			s.serveRoute(w, r)
		}
	})
}

func (s *Stack) machineByARN(arn string) *machine {
	parts := strings.Split(arn, ":")
	if len(parts) == 8 {
		arn = strings.Join(parts[:7], ":")
	}
	for _, m := range s.machines {
		if m.res.ARN == arn {
			return m
		}
	}
	return nil
}
