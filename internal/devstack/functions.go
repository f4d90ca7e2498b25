package devstack

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/feedback"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/internal/send"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/unsubscribe"
	"github.com/parcours/parcours/statemachines"
)

// Logical ids of the functions the dev stack knows how to build.
const (
	IngestFunction      = "IngestFunction"
	RouterFunction      = "RouterFunction"
	SendFunction        = "SendFunction"
	UnsubscribeFunction = "UnsubscribeFunction"
	FeedbackFunction    = "FeedbackFunction"
)

// DevUnsubscribeSecret is the dev stack's unsubscribe HMAC key (base64 of
// 32 bytes) when UNSUBSCRIBE_SECRET is not set. Public: never use it in
// AWS.
var DevUnsubscribeSecret = base64.StdEncoding.EncodeToString([]byte("parcours-dev-unsubscribe-secret!"))

// Secret environment variables: the process environment overrides them
// (Config.Getenv), and the dev stack prints them at start.
var secretVars = []string{"SHOPIFY_WEBHOOK_SECRET", "WOOCOMMERCE_WEBHOOK_SECRET", "STANDARD_WEBHOOK_SECRET", "UNSUBSCRIBE_SECRET"}

var devSecrets = map[string]string{
	"SHOPIFY_WEBHOOK_SECRET":     touchpoint.DevShopifySecret,
	"WOOCOMMERCE_WEBHOOK_SECRET": touchpoint.DevWooCommerceSecret,
	"STANDARD_WEBHOOK_SECRET":    touchpoint.DevStandardSecret,
	"UNSUBSCRIBE_SECRET":         DevUnsubscribeSecret,
}

// Dev values of the send function's settings when template.yaml has none.
const (
	DevFromAddress = "Parcours Demo Shop <shop@parcours.local>"
	DevShopName    = "Parcours Demo Shop"
	DevShopURL     = "https://parcours-demo.myshopify.com"
)

// function is one Lambda function of the stack, built in-process from the
// same handler code its functions/<name>/main.go wires.
type function struct {
	id, name, arn string
	env           map[string]string
	routes        []Route
	handler       lambda.Handler // nil: declared but not runnable locally
}

// known describes the functions the dev stack builds: their env defaults,
// default routes when template.yaml has none yet, and how to build them.
type known struct {
	env    func(s *Stack) map[string]string
	routes []Route
	build  func(s *Stack, getenv func(string) string) (any, error)
}

func (s *Stack) knownFunctions() map[string]known {
	table := func(*Stack) map[string]string { return map[string]string{"TABLE_NAME": s.table} }
	return map[string]known{
		IngestFunction: {
			env: func(*Stack) map[string]string {
				return map[string]string{"TABLE_NAME": s.table, "SHOPIFY_WEBHOOK_SECRET": "", "WOOCOMMERCE_WEBHOOK_SECRET": "", "STANDARD_WEBHOOK_SECRET": ""}
			},
			routes: []Route{{Method: "POST", Path: "/webhooks/{source}"}},
			build:  buildIngest,
		},
		RouterFunction: {
			env: func(*Stack) map[string]string {
				return map[string]string{"TABLE_NAME": s.table, "STATE_MACHINE_ARNS": s.stateMachineARNs()}
			},
			build: buildRouter,
		},
		SendFunction: {
			env: func(*Stack) map[string]string {
				return map[string]string{
					"TABLE_NAME": s.table, "FROM_ADDRESS": DevFromAddress, "UNSUBSCRIBE_URL": s.url + "/unsubscribe",
					"UNSUBSCRIBE_SECRET": "", "SHOP_NAME": DevShopName, "SHOP_URL": DevShopURL, "CONFIGURATION_SET": "parcours-dev",
				}
			},
			build: buildSend,
		},
		UnsubscribeFunction: {
			env: func(*Stack) map[string]string {
				return map[string]string{"TABLE_NAME": s.table, "UNSUBSCRIBE_SECRET": "", "SHOP_NAME": DevShopName}
			},
			routes: []Route{{Method: "GET", Path: "/unsubscribe"}, {Method: "POST", Path: "/unsubscribe"}},
			build:  buildUnsubscribe,
		},
		FeedbackFunction: {env: table, build: buildFeedback},
	}
}

// setupFunctions builds every function: those of template.yaml and, with
// defaults, the known ones it does not declare yet.
func (s *Stack) setupFunctions(t *Template) error {
	kf := s.knownFunctions()
	ids := map[string]bool{}
	for id := range t.Functions {
		ids[id] = true
	}
	for id := range kf {
		ids[id] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		tf, k := t.Functions[id], kf[id]
		f := &function{id: id, env: map[string]string{}}
		if tf == nil {
			f.name = s.stackName + "-" + id
			f.arn = "arn:aws:lambda:" + LocalRegion + ":" + LocalAccountID + ":function:" + f.name
			for _, r := range k.routes {
				r.Function = id
				f.routes = append(f.routes, r)
			}
			s.note("%s is not in template.yaml yet: running it with dev defaults%s", id, routeList(f.routes))
		} else {
			f.name, f.arn, f.routes = tf.Name, tf.ARN, tf.Routes
			for k, v := range tf.Env {
				f.env[k] = v
			}
			if len(tf.Unresolved) > 0 {
				s.note("%s: no local value for %s in template.yaml: using dev values", id, strings.Join(tf.Unresolved, ", "))
			}
		}
		if k.env != nil {
			for name, def := range k.env(s) {
				if _, ok := f.env[name]; !ok {
					f.env[name] = def
				}
			}
		}
		for _, name := range secretVars {
			if _, ok := f.env[name]; !ok {
				continue
			}
			switch {
			case s.getenv(name) != "":
				f.env[name] = s.getenv(name)
			case f.env[name] == "" || contains(tf, name):
				f.env[name] = devSecrets[name]
			}
		}
		if tf != nil && tf.Env["TABLE_NAME"] != "" && tf.Env["TABLE_NAME"] != s.table {
			s.note("%s: TABLE_NAME %q is not the table of template.yaml; using %q", id, tf.Env["TABLE_NAME"], s.table)
			f.env["TABLE_NAME"] = s.table
		}
		if u, ok := f.env["UNSUBSCRIBE_URL"]; ok && !strings.HasPrefix(u, s.url+"/") {
			s.note("%s: UNSUBSCRIBE_URL %q is not served locally; using %s/unsubscribe", id, u, s.url)
			f.env["UNSUBSCRIBE_URL"] = s.url + "/unsubscribe"
		}
		if k.build == nil {
			s.note("%s: the dev stack has no local wiring for it; it is not run", id)
		} else {
			env := f.env
			fn, err := k.build(s, func(k string) string { return env[k] })
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			f.handler = newConcurrentHandler(fn) // invoke.go
		}
		s.functions[id] = f
		s.routes = append(s.routes, f.routes...)
	}
	return nil
}

// contains says whether a template function left name unresolved.
func contains(f *Function, name string) bool {
	if f == nil {
		return false
	}
	for _, u := range f.Unresolved {
		if u == name {
			return true
		}
	}
	return false
}

func routeList(rs []Route) string {
	if len(rs) == 0 {
		return ""
	}
	keys := make([]string, len(rs))
	for i, r := range rs {
		keys[i] = r.RouteKey()
	}
	return " (" + strings.Join(keys, ", ") + ")"
}

// functionByName finds a function by name, ARN (qualified or not) or
// logical id.
func (s *Stack) functionByName(name string) *function {
	if f := s.functions[name]; f != nil {
		return f
	}
	for _, f := range s.functions {
		if name == f.name || name == f.arn || strings.HasPrefix(name, f.arn+":") {
			return f
		}
	}
	return nil
}

func (s *Stack) store(table string) *profile.Store {
	st := profile.NewStore(dynamodb.NewFromConfig(s.aws), table)
	st.Now = s.Now
	return st
}

func buildIngest(s *Stack, getenv func(string) string) (any, error) {
	cfg, err := ingest.ConfigFromEnv(func(k string) (string, bool) { v := getenv(k); return v, v != "" })
	if err != nil {
		return nil, err
	}
	h, err := ingest.FromConfig(cfg, s.aws, s.Now, s.metrics, s.log.With("function", IngestFunction))
	if err != nil {
		return nil, err
	}
	return h.Handle, nil
}

func buildRouter(s *Stack, getenv func(string) string) (any, error) {
	// The working tree's manifest, so a recompile shows after a restart.
	m, err := router.LoadManifest(os.DirFS(filepath.Join(s.dir, "statemachines")), statemachines.Triggers)
	if err != nil {
		return nil, err
	}
	cfg, err := router.ConfigFromEnv(getenv, m)
	if err != nil {
		return nil, err
	}
	h := router.FromConfig(cfg, m, s.aws, s.Now, s.metrics, s.log.With("function", RouterFunction))
	s.manifest = m
	return h.Handle, nil
}

// stateMachineARNs is the router's STATE_MACHINE_ARNS for the journeys of
// the manifest whose state machine template.yaml declares.
func (s *Stack) stateMachineARNs() string {
	m, err := router.LoadManifest(os.DirFS(filepath.Join(s.dir, "statemachines")), statemachines.Triggers)
	if err != nil {
		return ""
	}
	var pairs []string
	for _, mj := range m.Journeys {
		found := false
		for _, sm := range s.machines {
			if sm.res.LogicalID == mj.StateMachine {
				pairs = append(pairs, mj.Journey+"="+sm.res.QualifiedARN())
				found = true
			}
		}
		if !found {
			s.note("journey %s: state machine %s is not in template.yaml: the router cannot start it", mj.Journey, mj.StateMachine)
		}
	}
	return strings.Join(pairs, ",")
}

func buildSend(s *Stack, getenv func(string) string) (any, error) {
	cfg, err := send.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	// Templates are read from the working tree, so an edit shows in the
	// next email without a restart.
	h := send.FromConfig(cfg, s.aws, os.DirFS(filepath.Join(s.dir, "journeys")), s.Now, s.metrics, s.log.With("function", SendFunction))
	return h.Handle, nil
}

func buildUnsubscribe(s *Stack, getenv func(string) string) (any, error) {
	cfg, err := unsubscribe.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	h, err := unsubscribe.FromConfig(cfg, s.aws, s.Now, s.log.With("function", UnsubscribeFunction))
	if err != nil {
		return nil, err
	}
	return h.Handle, nil
}

func buildFeedback(s *Stack, getenv func(string) string) (any, error) {
	cfg, err := feedback.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	return feedback.FromConfig(cfg, s.aws, s.Now, s.metrics, s.log.With("function", FeedbackFunction)).Handle, nil
}
