package journey

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Diagnostic is one problem in a journey: where it is, what is wrong, and a
// hint on how to fix it.
type Diagnostic struct {
	File   string
	Line   int
	Column int
	Msg    string
	Hint   string
}

func (d Diagnostic) Error() string {
	s := fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Msg)
	if d.Hint != "" {
		s += " (hint: " + d.Hint + ")"
	}
	return s
}

// Diagnostics is every problem found in one or more journeys, in file and
// position order.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

func (ds Diagnostics) sorted() Diagnostics {
	out := append(Diagnostics(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}

// reporter collects diagnostics for one file.
type reporter struct {
	file  string
	diags Diagnostics
}

func (r *reporter) at(n *yaml.Node, hint, format string, args ...any) {
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Column
	}
	r.diags = append(r.diags, Diagnostic{File: r.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// Closest returns the candidate nearest to s by edit distance (ignoring
// case), or "" when none is close enough to be a plausible typo. Every "did
// you mean" hint of the CLI uses it.
func Closest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := len(s)/3 + 1
	if limit < 2 {
		limit = 2
	}
	if bestD > limit {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean is the hint for an unknown name.
func didYouMean(s string, candidates []string) string {
	if c := Closest(s, candidates); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return "expected one of: " + strings.Join(candidates, ", ")
}

func (r *reporter) atLC(line, col int, hint, format string, args ...any) {
	r.diags = append(r.diags, Diagnostic{File: r.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...), Hint: hint})
}
