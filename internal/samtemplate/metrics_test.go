package samtemplate

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/emf"
)

// emitted is one counter the code emits: its name and the dimension set
// it carries when every dimension value is present (emf.Writer.Count
// leaves out empty values).
type emitted struct {
	Name string
	Dims []string // sorted
	At   string   // file:line
}

const emfImport = "github.com/parcours/parcours/internal/emf"

// scanEmitters finds every emf.Writer.Count call in the non-test code of
// internal/ and functions/: a literal or constant metric name with a map
// literal (or a map variable built in the same function) of dimensions,
// and one level of helper (func count(metric, …) calling Count(metric,
// …)) whose callers pass the name and may pass "" for a dimension.
func scanEmitters(t *testing.T) []emitted {
	t.Helper()
	var out []emitted
	for _, top := range []string{"internal", "functions"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(dir string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() || strings.Contains(dir, "testdata") || strings.HasSuffix(dir, "internal/emf") {
				return err
			}
			out = append(out, scanPackage(t, dir)...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

type goPackage struct{ Files []*ast.File }

type helper struct {
	nameParam int
	dims      map[string]int // key → parameter index carrying its value, -1 if not a bare parameter
}

func scanPackage(t *testing.T, dir string) []emitted {
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]*goPackage{} // by package name
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if pkgs[f.Name.Name] == nil {
			pkgs[f.Name.Name] = &goPackage{}
		}
		pkgs[f.Name.Name].Files = append(pkgs[f.Name.Name].Files, f)
	}
	var out []emitted
	for _, pkg := range pkgs {
		usesEMF := false
		consts := map[string]string{}
		for _, f := range pkg.Files {
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == emfImport {
					usesEMF = true
				}
			}
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								consts[n.Name], _ = strconv.Unquote(lit.Value)
							}
						}
					}
				}
			}
		}
		if !usesEMF {
			continue
		}
		str := func(e ast.Expr) (string, bool) {
			switch x := e.(type) {
			case *ast.BasicLit:
				s, err := strconv.Unquote(x.Value)
				return s, err == nil
			case *ast.Ident:
				s, ok := consts[x.Name]
				return s, ok
			}
			return "", false
		}
		helpers := map[string]helper{}
		var direct []struct {
			call *ast.CallExpr
			fn   *ast.FuncDecl
		}
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					if call, ok := n.(*ast.CallExpr); ok && isCount(call) {
						direct = append(direct, struct {
							call *ast.CallExpr
							fn   *ast.FuncDecl
						}{call, fn})
					}
					return true
				})
			}
		}
		for _, d := range direct {
			pos := fset.Position(d.call.Pos())
			at := filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
			dims := dimKeys(d.call.Args[2], d.fn)
			if name, ok := str(d.call.Args[0]); ok {
				out = append(out, emitted{Name: name, Dims: keys(dims), At: at})
				continue
			}
			id, ok := d.call.Args[0].(*ast.Ident)
			idx := paramIndex(d.fn, id)
			if !ok || idx < 0 {
				t.Errorf("%s: metric name %s is neither a constant nor a parameter of %s: the dashboard check cannot follow it", at, types(d.call.Args[0]), d.fn.Name.Name)
				continue
			}
			h := helper{nameParam: idx, dims: map[string]int{}}
			for k, v := range dims {
				h.dims[k] = -1
				if vid, ok := v.(*ast.Ident); ok {
					h.dims[k] = paramIndex(d.fn, vid)
				}
			}
			helpers[d.fn.Name.Name] = h
		}
		for _, f := range pkg.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				var name string
				if ok {
					name = sel.Sel.Name
				} else if id, ok := call.Fun.(*ast.Ident); ok {
					name = id.Name
				}
				h, ok := helpers[name]
				if !ok || len(call.Args) <= h.nameParam {
					return true
				}
				pos := fset.Position(call.Pos())
				at := filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
				metric, ok := str(call.Args[h.nameParam])
				if !ok {
					t.Errorf("%s: %s called with a computed metric name", at, name)
					return true
				}
				var dims []string
				for k, idx := range h.dims {
					if idx >= 0 && idx < len(call.Args) {
						if s, ok := str(call.Args[idx]); ok && s == "" {
							continue // empty: emf leaves the dimension out
						}
					}
					dims = append(dims, k)
				}
				sort.Strings(dims)
				out = append(out, emitted{Name: metric, Dims: dims, At: at})
				return true
			})
		}
	}
	return out
}

func types(e ast.Expr) string {
	return strings.TrimPrefix(strings.TrimPrefix(fmtNode(e), "*ast."), "ast.")
}

func fmtNode(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return fmtNode(x.X) + "." + x.Sel.Name
	}
	return "an expression"
}

// isCount: X.Count(name, value, dims) with X a metrics writer field.
func isCount(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Count" || len(call.Args) != 3 {
		return false
	}
	recv, ok := sel.X.(*ast.SelectorExpr)
	return ok && strings.EqualFold(recv.Sel.Name, "metrics")
}

func paramIndex(fn *ast.FuncDecl, id *ast.Ident) int {
	if id == nil {
		return -1
	}
	i := 0
	for _, f := range fn.Type.Params.List {
		for _, n := range f.Names {
			if n.Name == id.Name {
				return i
			}
			i++
		}
	}
	return -1
}

// dimKeys reads the dimension map: a literal, nil, or a local variable
// assigned a literal in fn and extended with v["Key"] = … .
func dimKeys(e ast.Expr, fn *ast.FuncDecl) map[string]ast.Expr {
	out := map[string]ast.Expr{}
	lit := func(cl *ast.CompositeLit) {
		for _, el := range cl.Elts {
			kv := el.(*ast.KeyValueExpr)
			if k, ok := kv.Key.(*ast.BasicLit); ok {
				s, _ := strconv.Unquote(k.Value)
				out[s] = kv.Value
			}
		}
	}
	switch x := e.(type) {
	case *ast.CompositeLit:
		lit(x)
	case *ast.Ident:
		if x.Name == "nil" {
			return out
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for i, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name == x.Name && i < len(as.Rhs) {
					if cl, ok := as.Rhs[i].(*ast.CompositeLit); ok {
						lit(cl)
					}
				}
				if ix, ok := l.(*ast.IndexExpr); ok {
					if id, ok := ix.X.(*ast.Ident); ok && id.Name == x.Name {
						if k, ok := ix.Index.(*ast.BasicLit); ok {
							s, _ := strconv.Unquote(k.Value)
							out[s] = as.Rhs[i]
						}
					}
				}
			}
			return true
		})
	}
	return out
}

func keys(m map[string]ast.Expr) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestDashboardMatchesCode: every Parcours metric on the dashboard is one
// the code emits, with exactly the dimension set the code gives it; every
// counter the code emits is on the dashboard; the AWS metrics name real
// metrics of this stack's functions, state machines, API and queue.
func TestDashboardMatchesCode(t *testing.T) {
	tp := load(t)
	code := scanEmitters(t)
	if len(code) < 10 {
		t.Fatalf("found only %d emitters: the scan is broken", len(code))
	}
	emits := map[string]bool{}
	names := map[string]bool{}
	for _, e := range code {
		emits[e.Name+" "+strings.Join(e.Dims, ",")] = true
		names[e.Name] = true
	}
	parcours, _, problems := tp.ReadDashboard()
	for _, p := range problems {
		t.Error(p)
	}
	onDash := map[string]bool{}
	for _, s := range parcours {
		if s.FromLogs {
			// A metric filter writes it (CheckDashboardResources below
			// checks those); the code must not emit it too.
			if names[s.Name] {
				t.Errorf("%s is written both by a metric filter and by the code", s.Name)
			}
			continue
		}
		onDash[s.Name] = true
		if !emits[s.Name+" "+strings.Join(s.Dims, ",")] {
			var have []string
			for _, e := range code {
				if e.Name == s.Name {
					have = append(have, "["+strings.Join(e.Dims, ", ")+"] at "+e.At)
				}
			}
			t.Errorf("dashboard %q reads %s with dimensions %v; the code emits it with %v", s.Widget, s.Name, s.Dims, have)
		}
	}
	for n := range names {
		if !onDash[n] {
			t.Errorf("the code emits %s, which the dashboard does not show", n)
		}
	}
	// What the issue asks the dashboard to show.
	for _, want := range []string{
		"WebhookAccepted Source", "WebhookDuplicate Source", "WebhookRejected Source",
		"JourneysStarted Journey", "EmailsSent Journey,Step", "EmailsSkipped Journey,Reason,Step", "EmailsDeferred Journey,Reason,Step",
	} {
		found := false
		for _, s := range parcours {
			found = found || s.Name+" "+strings.Join(s.Dims, ",") == want
		}
		if !found {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
	for _, p := range tp.CheckDashboardResources() {
		t.Error(p)
	}
}

// TestScanMatchesEMF: a metric found by the scan, written through the
// real emf.Writer with those dimensions, is the EMF line CloudWatch reads:
// namespace Parcours, one dimension set equal to the scanned one.
func TestScanMatchesEMF(t *testing.T) {
	for _, e := range scanEmitters(t) {
		t.Run(e.Name+"@"+e.At, func(t *testing.T) {
			var buf bytes.Buffer
			dims := map[string]string{}
			for _, d := range e.Dims {
				dims[d] = "x"
			}
			emf.New(&buf, func() time.Time { return time.Unix(1, 0) }).Count(e.Name, 1, dims)
			var line struct {
				AWS struct {
					CloudWatchMetrics []struct {
						Namespace  string
						Dimensions [][]string
						Metrics    []struct{ Name string }
					}
				} `json:"_aws"`
			}
			if err := json.Unmarshal(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), &line); err != nil || bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
				t.Fatalf("not one JSON line: %q (%v)", buf.String(), err)
			}
			cw := line.AWS.CloudWatchMetrics
			if len(cw) != 1 || cw[0].Namespace != "Parcours" || len(cw[0].Metrics) != 1 || cw[0].Metrics[0].Name != e.Name ||
				len(cw[0].Dimensions) != 1 || strings.Join(cw[0].Dimensions[0], ",") != strings.Join(e.Dims, ",") {
				t.Errorf("EMF line %s, want namespace Parcours, metric %s, dimensions %v", buf.String(), e.Name, e.Dims)
			}
		})
	}
}
