package devstack

import (
	"net/http"
	"strings"
)

// devHandler serves /_dev/: the JSON API and the console.
func (s *Stack) devHandler() http.Handler {
	api := s.apiHandler()
	console := s.consoleHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_dev/api/") {
			api.ServeHTTP(w, r)
			return
		}
		console.ServeHTTP(w, r)
	})
}

func (s *Stack) consoleHandler() http.Handler {
	return http.NotFoundHandler()
}
