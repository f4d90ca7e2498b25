package devstack

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/journey"
	"github.com/parcours/parcours/internal/profile"
)

//go:embed console/*.html console/*.css
var consoleFS embed.FS

// clockSteps are the console's clock buttons.
var clockSteps = []string{"1h", "4h", "1d", "7d"}

var consoleFuncs = template.FuncMap{
	"json": func(v any) string {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	},
	// offset writes how long after start t is: +0s, +4h, +2d3h.
	"offset": func(start, t time.Time) string {
		d := t.Sub(start)
		if d < time.Minute {
			return "+" + d.Round(time.Second).String()
		}
		days := int(d / (24 * time.Hour))
		rest := (d % (24 * time.Hour)).Round(time.Minute)
		s := "+"
		if days > 0 {
			s += fmt.Sprintf("%dd", days)
		}
		if rest > 0 {
			s += strings.TrimSuffix(strings.TrimSuffix(rest.String(), "0s"), "0m")
		}
		return s
	},
}

var pages = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, p := range []string{"outbox", "email", "executions", "execution", "profile", "journeys", "journey"} {
		files := []string{"console/layout.html", "console/" + p + ".html"}
		if p != "executions" {
			files = append(files, "console/executions.html")
		}
		if p == "profile" {
			files = append(files, "console/execution.html")
		}
		t := template.New(p).Funcs(consoleFuncs)
		// Later files may redefine "content"; the page's own goes last.
		for i := len(files) - 1; i >= 0; i-- {
			if i == 1 {
				continue
			}
			template.Must(t.ParseFS(consoleFS, files[i]))
		}
		template.Must(t.ParseFS(consoleFS, files[1]))
		out[p] = t
	}
	return out
}()

// page is what every console page renders with.
type page struct {
	Title    string
	Now      time.Time
	NextWait time.Time
	Steps    []string
}

func (s *Stack) newPage(title string) page {
	p := page{Title: title, Now: s.Now().UTC(), Steps: clockSteps}
	if at, ok := s.engine.NextTimer(); ok {
		p.NextWait = at.UTC()
	}
	return p
}

func (s *Stack) render(w http.ResponseWriter, status int, name string, data any) {
	var b strings.Builder
	if err := pages[name].ExecuteTemplate(&b, "layout", data); err != nil {
		s.log.Error("dev console: render", "page", name, "err", err)
		http.Error(w, "console page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// devHandler serves /_dev/: the JSON API and the console.
func (s *Stack) devHandler() http.Handler {
	mux := http.NewServeMux()
	api := s.apiHandler()
	mux.Handle("/_dev/api/", api)
	static, _ := fs.Sub(consoleFS, "console")
	mux.Handle("GET /_dev/static/", http.StripPrefix("/_dev/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /_dev/{$}", func(w http.ResponseWriter, r *http.Request) {
		s.Sync()
		out := s.Outbox()
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 { // newest first
			out[i], out[j] = out[j], out[i]
		}
		s.render(w, http.StatusOK, "outbox", struct {
			page
			Emails []Email
		}{s.newPage("Outbox"), out})
	})
	mux.HandleFunc("GET /_dev", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/_dev/", http.StatusFound) })
	mux.HandleFunc("GET /_dev/outbox/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, m := range s.Outbox() {
			if m.ID == r.PathValue("id") {
				s.render(w, http.StatusOK, "email", struct {
					page
					Email Email
				}{s.newPage(m.Subject), m})
				return
			}
		}
		s.notFound(w, "No such email.")
	})
	mux.HandleFunc("GET /_dev/executions", func(w http.ResponseWriter, r *http.Request) {
		xs := s.Executions(r.URL.Query().Get("journey"), r.URL.Query().Get("profile"))
		s.render(w, http.StatusOK, "executions", struct {
			page
			Executions []Execution
		}{s.newPage("Executions"), xs})
	})
	mux.HandleFunc("GET /_dev/executions/{name}", func(w http.ResponseWriter, r *http.Request) {
		d, ok := s.ExecutionDetail(r.PathValue("name"))
		if !ok {
			s.notFound(w, "No such execution.")
			return
		}
		s.render(w, http.StatusOK, "execution", struct {
			page
			Detail ExecutionDetail
		}{s.newPage(d.Journey), d})
	})
	mux.HandleFunc("GET /_dev/profiles/{email}", func(w http.ResponseWriter, r *http.Request) {
		email := profile.NormalizeEmail(r.PathValue("email"))
		v, err := s.Profile(email)
		if err != nil && !errors.Is(err, profile.ErrNotFound) {
			s.log.Error("dev console: read profile", "err", err)
			http.Error(w, "could not read the profile", http.StatusInternalServerError)
			return
		}
		type timeline struct{ Detail ExecutionDetail }
		var tls []timeline
		for _, x := range s.Executions("", email) {
			if d, ok := s.ExecutionDetail(x.Name); ok {
				tls = append(tls, timeline{d})
			}
		}
		var emails []Email
		for _, m := range s.Outbox() {
			for _, to := range m.To {
				if profile.NormalizeEmail(to) == email {
					emails = append(emails, m)
				}
			}
		}
		s.render(w, http.StatusOK, "profile", struct {
			page
			Email     string
			View      profile.View
			Missing   bool
			Timelines []timeline
			Emails    []Email
		}{s.newPage(email), email, v, errors.Is(err, profile.ErrNotFound), tls, emails})
	})
	mux.HandleFunc("GET /_dev/journeys", func(w http.ResponseWriter, r *http.Request) {
		type row struct {
			Name       string
			Events     []string
			States     int
			Executions int
		}
		var rows []row
		for _, mj := range s.manifest.Journeys {
			rw := row{Name: mj.Journey, Executions: len(s.Executions(mj.Journey, ""))}
			for _, e := range mj.Events {
				rw.Events = append(rw.Events, string(e))
			}
			if m := s.machineOf(mj.Journey); m != nil {
				rw.States = len(m.def.States.Names())
			}
			rows = append(rows, rw)
		}
		s.render(w, http.StatusOK, "journeys", struct {
			page
			Journeys []row
		}{s.newPage("Journeys"), rows})
	})
	mux.HandleFunc("GET /_dev/journeys/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		m := s.machineOf(name)
		if m == nil {
			s.notFound(w, "No such journey.")
			return
		}
		s.render(w, http.StatusOK, "journey", s.journeyPage(name, m))
	})
	mux.HandleFunc("POST /_dev/clock", func(w http.ResponseWriter, r *http.Request) {
		d, err := ParseDuration(r.FormValue("duration"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.Advance(d)
		back := r.Referer()
		if !strings.HasPrefix(back, s.url+"/_dev/") {
			back = "/_dev/"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	})
	mux.HandleFunc("/_dev/", func(w http.ResponseWriter, r *http.Request) { s.notFound(w, "No such page.") })
	return mux
}

func (s *Stack) notFound(w http.ResponseWriter, msg string) {
	s.render(w, http.StatusNotFound, "outbox", struct {
		page
		Emails []Email
	}{s.newPage(msg), nil})
}

// machineOf is the state machine of a journey.
func (s *Stack) machineOf(journeyName string) *machine {
	for _, mj := range s.manifest.Journeys {
		if mj.Journey != journeyName {
			continue
		}
		for _, m := range s.machines {
			if m.res.LogicalID == mj.StateMachine {
				return m
			}
		}
	}
	return nil
}

type graphEdge struct {
	journey.Edge
	ToIndex int
}

type graphState struct {
	Index         int
	Name, Type    string
	Comment, Wait string
	Start         bool
	Edges         []graphEdge
	Here          int
}

// journeyPage lays a journey's state machine out as a table: each state
// with its transitions (the compiler's journey.Edges), and how many
// running executions are in it now.
func (s *Stack) journeyPage(name string, m *machine) any {
	names := m.def.States.Names()
	index := map[string]int{}
	for i, n := range names {
		index[n] = i
	}
	here := map[string]int{}
	xs := s.Executions(name, "")
	for _, x := range xs {
		if x.Status == "RUNNING" {
			here[x.State]++
		}
	}
	states := make([]graphState, len(names))
	for i, n := range names {
		st := m.def.States.Get(n)
		gs := graphState{Index: i, Name: n, Type: st.Type, Comment: st.Comment, Start: n == m.def.StartAt, Here: here[n]}
		if st.Seconds != nil {
			gs.Wait = (time.Duration(*st.Seconds) * time.Second).String()
		} else if st.TimestampPath != "" {
			gs.Wait = "until " + st.TimestampPath
		}
		states[i] = gs
	}
	for _, e := range journey.Edges(m.def) {
		i := index[e.From]
		states[i].Edges = append(states[i].Edges, graphEdge{Edge: e, ToIndex: index[e.To]})
	}
	mermaid, err := journey.Graph(m.def, journey.FormatMermaid)
	if err != nil {
		mermaid = "graph unavailable: " + err.Error()
	}
	return struct {
		page
		Name, Comment, LogicalID, DefinitionURI, Mermaid string
		States                                           []graphState
		Executions                                       []Execution
	}{s.newPage(name), name, m.def.Comment, m.res.LogicalID, m.res.DefinitionURI, mermaid, states, xs}
}
