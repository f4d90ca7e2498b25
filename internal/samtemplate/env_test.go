package samtemplate

import (
	"encoding/base64"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/awsenv"
	"github.com/parcours/parcours/internal/feedback"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/router"
	"github.com/parcours/parcours/internal/send"
	"github.com/parcours/parcours/internal/unsubscribe"
	"github.com/parcours/parcours/statemachines"
)

// configProbes run a package's real configuration code (what main calls
// with os.Getenv or os.LookupEnv) on an environment. A main that reads
// its configuration through a package not listed here fails
// TestEnvironment, so a new function cannot go unchecked.
var configProbes = map[string]func(getenv func(string) string) error{
	"github.com/parcours/parcours/internal/awsenv": func(getenv func(string) string) error {
		// The Lambda runtime sets these (reserved keys a template cannot set).
		runtime := map[string]string{"AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
		_, err := awsenv.Lambda(func(k string) string {
			if v, ok := runtime[k]; ok {
				return v
			}
			return getenv(k)
		})
		return err
	},
	"github.com/parcours/parcours/internal/ingest": func(getenv func(string) string) error {
		c, err := ingest.ConfigFromEnv(func(k string) (string, bool) { v := getenv(k); return v, v != "" })
		if err != nil {
			return err
		}
		_, err = c.Sources(time.Now)
		return err
	},
	"github.com/parcours/parcours/internal/router": func(getenv func(string) string) error {
		m, err := router.LoadManifest(statemachines.FS, statemachines.Triggers)
		if err != nil {
			return err
		}
		_, err = router.ConfigFromEnv(getenv, m)
		return err
	},
	"github.com/parcours/parcours/internal/feedback": func(getenv func(string) string) error {
		_, err := feedback.ConfigFromEnv(getenv)
		return err
	},
	"github.com/parcours/parcours/internal/send": func(getenv func(string) string) error {
		_, err := send.ConfigFromEnv(getenv)
		return err
	},
	"github.com/parcours/parcours/internal/unsubscribe": func(getenv func(string) string) error {
		c, err := unsubscribe.ConfigFromEnv(getenv)
		if err != nil {
			return err
		}
		_, err = unsubscribe.NewSigner(c.Keys...)
		return err
	},
}

// deployValues stand in for what the deployer types at `sam deploy
// --guided` for the parameters without a Default. Each must satisfy the
// parameter's own constraints (checked below).
var deployValues = map[string]string{
	"SenderIdentity":           "maison-lin.example",
	"FromAddress":              "Maison Lin <hello@maison-lin.example>",
	"ShopName":                 "Maison Lin",
	"ShopifyWebhookSecret":     "shpss_0123456789abcdef",
	"WooCommerceWebhookSecret": "wc-secret-0123456789",
	"StandardWebhookSecret":    "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
	"UnsubscribeSecret":        base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
}

// mainConfig is what functions/<dir>/main.go reads from the environment:
// the packages whose ConfigFromEnv it calls and the variables it reads
// itself with os.Getenv/os.LookupEnv and a literal name.
type mainConfig struct {
	packages []string
	direct   []string
}

func readMain(t *testing.T, dir string) mainConfig {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, "functions", dir, "main.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]string{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		imports[name] = p
	}
	isEnvFunc := func(e ast.Expr) bool {
		s, ok := e.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		x, ok := s.X.(*ast.Ident)
		return ok && x.Name == "os" && (s.Sel.Name == "Getenv" || s.Sel.Name == "LookupEnv")
	}
	var mc mainConfig
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if isEnvFunc(call.Fun) {
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				t.Errorf("functions/%s/main.go:%d: %s with a computed name: use a literal, so the template check sees it", dir, fset.Position(call.Pos()).Line, "os.Getenv")
				return true
			}
			name, _ := strconv.Unquote(lit.Value)
			mc.direct = append(mc.direct, name)
			return true
		}
		for _, a := range call.Args {
			if !isEnvFunc(a) {
				continue
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			x, ok2 := sel.X.(*ast.Ident)
			if !ok || !ok2 || imports[x.Name] == "" {
				t.Errorf("functions/%s/main.go:%d: the environment goes to a function this test cannot run", dir, fset.Position(call.Pos()).Line)
				continue
			}
			mc.packages = append(mc.packages, imports[x.Name])
		}
		return true
	})
	return mc
}

// TestEnvironment: for every function, the configuration code its main
// runs accepts the environment template.yaml gives it (parameters at
// their Default or a deploy value), and every variable that code requires
// is set. The required variables are found by running that code, not
// listed here.
func TestEnvironment(t *testing.T) {
	tp := load(t)
	res := Resolver{T: tp, Params: deployValues}
	for name, v := range deployValues {
		p := Get(tp.Raw, "Parameters", name)
		if p == nil {
			t.Errorf("deploy value for %s, which is not a parameter", name)
			continue
		}
		if pat, ok := Get(p, "AllowedPattern").(string); ok && !regexp.MustCompile(pat).MatchString(v) {
			t.Errorf("deploy value %s=%q does not match the parameter's AllowedPattern %s", name, v, pat)
		}
		if n, ok := Get(p, "MinLength").(float64); ok && len(v) < int(n) {
			t.Errorf("deploy value %s is shorter than the parameter's MinLength %v", name, n)
		}
	}
	for _, dir := range functionDirs(t) {
		id := logicalID(dir)
		t.Run(id, func(t *testing.T) {
			fn, ok := tp.Resource(id)
			if !ok {
				t.Fatalf("no %s in template.yaml", id)
			}
			env := map[string]string{}
			vars, _ := Get(fn.Properties, "Environment", "Variables").(map[string]any)
			globals, _ := Get(tp.Raw, "Globals", "Function", "Environment", "Variables").(map[string]any)
			for _, vs := range []map[string]any{globals, vars} {
				for k, v := range vs {
					s, err := res.String(v)
					if err != nil {
						t.Errorf("%s: %v", k, err)
					}
					env[k] = s
				}
			}
			mc := readMain(t, dir)
			var probes []func(func(string) string) error
			for _, p := range mc.packages {
				probe, ok := configProbes[p]
				if !ok {
					t.Fatalf("functions/%s/main.go configures from the environment through %s: add it to configProbes", dir, p)
				}
				probes = append(probes, probe)
			}
			if len(mc.direct) > 0 {
				names := mc.direct
				probes = append(probes, func(getenv func(string) string) error {
					for _, n := range names {
						if getenv(n) == "" {
							return errMissing(n)
						}
					}
					return nil
				})
			}
			if len(probes) == 0 {
				t.Fatalf("functions/%s/main.go reads no configuration from the environment", dir)
			}
			run := func(env map[string]string, read map[string]bool) error {
				getenv := func(k string) string {
					if read != nil {
						read[k] = true
					}
					return env[k]
				}
				for _, p := range probes {
					if err := p(getenv); err != nil {
						return err
					}
				}
				return nil
			}
			read := map[string]bool{}
			if err := run(env, read); err != nil {
				t.Fatalf("the function's configuration rejects the template's environment: %v", err)
			}
			// Which of them are required: leave each out in turn.
			var required []string
			for k := range read {
				if _, set := env[k]; !set {
					continue
				}
				without := map[string]string{}
				for k2, v := range env {
					if k2 != k {
						without[k2] = v
					}
				}
				if run(without, nil) != nil {
					required = append(required, k)
				}
			}
			sort.Strings(required)
			if !containsString(required, "TABLE_NAME") {
				t.Errorf("required variables %v: TABLE_NAME missing (is the probe running the real configuration?)", required)
			}
			for k := range env {
				if !read[k] {
					t.Errorf("%s sets %s, which the function never reads", id, k)
				}
			}
			t.Logf("required: %v", required)
		})
	}
}

type errMissing string

func (e errMissing) Error() string { return "missing environment variable " + string(e) }

// TestStateMachineARNs: the router's STATE_MACHINE_ARNS names, for every
// journey of the compiler's manifest, the live alias of that journey's
// state machine (not another journey's, not the unqualified ARN).
func TestStateMachineARNs(t *testing.T) {
	m, err := router.LoadManifest(statemachines.FS, statemachines.Triggers)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range load(t).CheckRouter(m) {
		t.Error(p)
	}
}
