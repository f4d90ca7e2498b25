package mail

// This file escapes the HTML parts: html/template's contextual escaping,
// for the contexts an email template needs. The context analysis and the
// escapers follow html/template's context.go, transition.go, escape.go,
// attr.go, html.go, url.go and content.go (Copyright 2011 The Go Authors,
// BSD-style license) so that the output is byte for byte what html/template
// writes; the differential tests and FuzzHTMLMatchesHTMLTemplate check it.
//
// Supported: actions in text, in <title>/<textarea> text, in quoted
// attribute values and in quoted URL attribute values (href, src, …).
// Rejected at parse time, so that `parcours validate` refuses them: <script>
// and <style> elements, actions (and if/with/range) inside tags outside a
// quoted value, in unquoted values, in HTML comments, in style, on*,
// srcset and <meta content> attributes, and where html/template would find
// the context ambiguous. HTML comments are removed from the output, and a
// '<' that starts no tag is written as &lt;, as html/template does.

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"text/template/parse"
	"unicode/utf8"
)

type escState uint8

const (
	stateText escState = iota
	stateTag
	stateAttrName
	stateAfterName
	stateBeforeValue
	stateHTMLCmt
	stateRCDATA
	stateAttr
	stateURL
	// The values of these attributes are passed through as they are;
	// nothing in the template may be inside them.
	stateOpaqueAttr
	stateError
	stateDead
)

var stateNames = [...]string{"text", "tag", "attribute name", "after attribute name", "before attribute value",
	"HTML comment", "RCDATA", "attribute value", "URL attribute value", "style, script, srcset or meta content attribute", "error", "dead"}

type delim uint8

const (
	delimNone delim = iota
	delimDoubleQuote
	delimSingleQuote
	delimSpaceOrTagEnd
)

type urlPart uint8

const (
	urlPartNone urlPart = iota
	urlPartPreQuery
	urlPartQueryOrFrag
	urlPartUnknown
)

type element uint8

const (
	elementNone element = iota
	elementScript
	elementStyle
	elementTextarea
	elementTitle
	elementMeta
)

type attr uint8

const (
	attrNone attr = iota
	attrURL
	attrOpaque
)

type context struct {
	state   escState
	delim   delim
	urlPart urlPart
	attr    attr
	element element
	err     error
}

func (c context) eq(d context) bool {
	return c.state == d.state && c.delim == d.delim && c.urlPart == d.urlPart && c.attr == d.attr && c.element == d.element && c.err == d.err
}

func (c context) String() string {
	s := stateNames[c.state]
	if c.element == elementTitle || c.element == elementTextarea {
		s += " of <" + string(specialTagEndMarkers[c.element]) + ">"
	}
	return s
}

// escStep is one of the escaping functions html/template appends to an
// action's pipeline.
type escStep uint8

const (
	escURLFilter     escStep = iota + 1 // _html_template_urlfilter
	escURLNormalizer                    // _html_template_urlnormalizer
	escURLEscaper                       // _html_template_urlescaper
	escHTML                             // _html_template_htmlescaper, rcdataescaper, attrescaper
	escTextHTML                         // the html built-in, where it replaces escHTML
	escTextURLQuery                     // the urlquery built-in, where it replaces escURLNormalizer or escURLEscaper
)

// escaper is the chain of escaping functions html/template appends to an
// action in its context (at most three).
type escaper struct {
	steps [3]escStep
	n     uint8
}

func (e *escaper) add(s escStep) { e.steps[e.n] = s; e.n++ }

// apply runs the chain on the action's value, as html/template's escaping
// commands run on the pipeline's value: missing when the pipeline was only
// a predefined escaper now in the chain ({{html}}), which is like "".
func (e escaper) apply(v reflect.Value) string {
	var arg any
	switch {
	case isMissing(v):
		arg = ""
	case v.IsValid():
		arg = v.Interface()
	}
	var s string
	switch e.steps[0] {
	case escURLFilter:
		s = urlFilter(arg)
	case escURLNormalizer:
		s = urlProcessor(true, arg)
	case escURLEscaper:
		s = urlProcessor(false, arg)
	case escHTML:
		s = htmlReplacer(stringify(arg))
	case escTextHTML:
		s = htmlEscaper(arg)
	case escTextURLQuery:
		s = urlQueryEscaper(arg)
	}
	// The next steps get the string the one before returned.
	for _, step := range e.steps[1:e.n] {
		switch step {
		case escURLFilter:
			if !isSafeURL(s) {
				s = "#" + filterFailsafe
			}
		case escURLNormalizer, escURLEscaper:
			var b strings.Builder
			if processURLOnto(s, step == escURLNormalizer, &b) {
				s = b.String()
			}
		case escHTML:
			s = htmlReplacer(s)
		case escTextHTML:
			s = htmlEscapeString(s)
		case escTextURLQuery:
			s = url.QueryEscape(s)
		}
	}
	return s
}

// predefinedEscapers are the built-ins html/template merges with its own
// escaping when they end an action's pipeline (and refuses elsewhere in
// it); each replaces the steps it is equivalent to.
var predefinedEscapers = map[string]func(escStep) bool{
	"html":     func(s escStep) bool { return s == escHTML },
	"urlquery": func(s escStep) bool { return s == escURLNormalizer || s == escURLEscaper },
}

// escapeFuncs are the functions only escapeTree's rewritten pipelines call.
var escapeFuncs = map[string]reflect.Value{"_eval_args_": reflect.ValueOf(evalArgsHTML)}

// evalArgsHTML is html/template's evalArgs: {{html .A .B}} is run as
// {{_eval_args_ .A .B | html}} so that html joins the escaping chain.
func evalArgsHTML(args ...any) string {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s
		}
	}
	for i, arg := range args {
		args[i] = indirectToStringerOrError(arg)
	}
	return fmt.Sprint(args...)
}

// mergePredefined is html/template's ensurePipelineContains for a
// pipeline ending in a predefined escaper: {{html .A .B}} becomes
// {{_eval_args_ .A .B | html}}, and the escaper's command is dropped when
// it replaces an equivalent step of esc's chain (which then runs it). It
// returns the pipeline's new commands and whether they changed.
func mergePredefined(p *parse.PipeNode, esc *escaper) (cmds []*parse.CommandNode, changed bool) {
	last := p.Cmds[len(p.Cmds)-1]
	id, ok := last.Args[0].(*parse.IdentifierNode)
	if !ok {
		return nil, false
	}
	equiv, ok := predefinedEscapers[id.Ident]
	if !ok {
		return nil, false
	}
	step := escTextHTML
	if id.Ident == "urlquery" {
		step = escTextURLQuery
	}
	cmds = p.Cmds
	if len(cmds) == 1 && len(last.Args) > 1 {
		// {{html .A .B}} → {{_eval_args_ .A .B | html}}
		args := slices.Clone(last.Args)
		args[0] = parse.NewIdentifier("_eval_args_").SetTree(nil).SetPos(id.Position())
		cmds = []*parse.CommandNode{
			{NodeType: parse.NodeCommand, Pos: last.Pos, Args: args},
			{NodeType: parse.NodeCommand, Pos: p.Pos, Args: []parse.Node{parse.NewIdentifier(id.Ident).SetTree(nil).SetPos(p.Pos)}},
		}
		changed = true
	}
	dup := false
	for i, s := range esc.steps[:esc.n] {
		if equiv(s) {
			esc.steps[i], dup = step, true
		}
	}
	if dup {
		cmds, changed = cmds[:len(cmds)-1], true // the chain runs it
	}
	return cmds, changed
}

// escapeTree computes the context of every node of t's tree, records the
// escaper of each action and the text of each text node that html/template
// would rewrite, or returns the first thing that cannot be escaped.
func (t *Template) escapeTree() error {
	e := &escapeState{t: t}
	c := e.escapeList(context{}, t.tree.Root)
	if c.err != nil {
		return c.err
	}
	if c.state != stateText {
		return fmt.Errorf("template: %s: ends in a non-text context: %v", t.name, c)
	}
	for p, cmds := range e.edits {
		p.Cmds = cmds
	}
	return nil
}

type escapeState struct {
	t *Template
	// dry is set while html/template would escape a range body a second
	// time (from the context it ends in) only to compare contexts: nothing
	// is recorded then.
	dry bool
	// edits are the pipelines mergePredefined rewrites, applied once the
	// whole tree is escaped (analysis sees the pipelines as written).
	edits map[*parse.PipeNode][]*parse.CommandNode
}

func (e *escapeState) errorf(n parse.Node, format string, args ...any) context {
	loc := e.t.name
	if n != nil {
		loc, _ = e.t.tree.ErrorContext(n)
	}
	return context{state: stateError, err: fmt.Errorf("template: %s: %s", loc, fmt.Sprintf(format, args...))}
}

func (e *escapeState) escape(c context, n parse.Node) context {
	switch n := n.(type) {
	case *parse.ActionNode:
		return e.escapeAction(c, n)
	case *parse.IfNode:
		return e.escapeBranch(c, &n.BranchNode, "if")
	case *parse.ListNode:
		return e.escapeList(c, n)
	case *parse.RangeNode:
		return e.escapeBranch(c, &n.BranchNode, "range")
	case *parse.TextNode:
		return e.escapeText(c, n)
	case *parse.WithNode:
		return e.escapeBranch(c, &n.BranchNode, "with")
	}
	return e.errorf(n, "%s is %v", n, errUnsupported)
}

func (e *escapeState) escapeList(c context, n *parse.ListNode) context {
	if n == nil {
		return c
	}
	for _, m := range n.Nodes {
		c = e.escape(c, m)
		if c.state == stateError {
			break
		}
	}
	return c
}

// inside names a context where nothing but text may appear, or "".
func inside(c context) string {
	switch c.state {
	case stateHTMLCmt:
		return "an HTML comment"
	case stateOpaqueAttr:
		return "a style, on*, srcset or <meta content> attribute"
	case stateTag, stateAttrName, stateAfterName, stateBeforeValue:
		return "a tag, outside a quoted attribute value"
	}
	if c.delim == delimSpaceOrTagEnd {
		return "an unquoted attribute value (quote it)"
	}
	return ""
}

func (e *escapeState) escapeAction(c context, n *parse.ActionNode) context {
	if len(n.Pipe.Decl) != 0 {
		if where := inside(c); where != "" && c.state != stateTag {
			return e.errorf(n, "%s inside %s is %v", n, where, errUnsupported)
		}
		return c // an assignment writes nothing
	}
	c = nudge(c)
	for i, cmd := range n.Pipe.Cmds {
		if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok && predefinedEscapers[id.Ident] != nil && i < len(n.Pipe.Cmds)-1 {
			return e.errorf(n, "predefined escaper %q disallowed in template: only the last command of an action may be html or urlquery", id.Ident)
		}
	}
	if where := inside(c); where != "" {
		return e.errorf(n, "%s inside %s is %v", n, where, errUnsupported)
	}
	var esc escaper
	switch c.state {
	case stateURL:
		switch c.urlPart {
		case urlPartNone:
			esc.add(escURLFilter)
			esc.add(escURLNormalizer)
		case urlPartPreQuery:
			esc.add(escURLNormalizer)
		case urlPartQueryOrFrag:
			esc.add(escURLEscaper)
		default:
			return e.errorf(n, "%s appears in an ambiguous context within a URL", n)
		}
		esc.add(escHTML) // attrescaper: the value is quoted
	case stateText, stateRCDATA, stateAttr:
		esc.add(escHTML) // htmlescaper, rcdataescaper, attrescaper: the same for text
	default:
		return e.errorf(n, "%s in %v is %v", n, c, errUnsupported)
	}
	cmds, changed := mergePredefined(n.Pipe, &esc)
	if !e.dry {
		if e.t.escapers == nil {
			e.t.escapers = map[*parse.ActionNode]escaper{}
		}
		e.t.escapers[n] = esc
		if changed {
			if e.edits == nil {
				e.edits = map[*parse.PipeNode][]*parse.CommandNode{}
			}
			e.edits[n.Pipe] = cmds
		}
	}
	return c
}

func nudge(c context) context {
	switch c.state {
	case stateTag:
		c.state = stateAttrName
	case stateBeforeValue:
		c.state, c.delim, c.attr = attrStartStates[c.attr], delimSpaceOrTagEnd, attrNone
	case stateAfterName:
		c.state, c.attr = stateAttrName, attrNone
	}
	return c
}

func (e *escapeState) join(a, b context, node parse.Node, nodeName string) context {
	if a.state == stateError {
		return a
	}
	if b.state == stateError {
		return b
	}
	if a.eq(b) {
		return a
	}
	c := a
	c.urlPart = b.urlPart
	if c.eq(b) {
		c.urlPart = urlPartUnknown
		return c
	}
	if c, d := nudge(a), nudge(b); !(c.eq(a) && d.eq(b)) {
		if e := e.join(c, d, node, nodeName); e.state != stateError {
			return e
		}
	}
	return e.errorf(node, "{{%s}} branches end in different contexts: %v, %v", nodeName, a, b)
}

func (e *escapeState) escapeBranch(c context, n *parse.BranchNode, nodeName string) context {
	if where := inside(c); where != "" && c.state != stateTag && c.state != stateBeforeValue && c.state != stateAfterName {
		return e.errorf(n, "{{%s}} inside %s is %v", nodeName, where, errUnsupported)
	}
	c0 := e.escapeList(c, n.List)
	if nodeName == "range" && c0.state != stateError {
		// The body can run again: it must end where it starts.
		dry := e.dry
		e.dry = true
		c1 := e.escapeList(c0, n.List)
		e.dry = dry
		c0 = e.join(c0, c1, n, nodeName)
		if c0.state == stateError {
			return c0
		}
	}
	c1 := e.escapeList(c, n.ElseList)
	j := e.join(c0, c1, n, nodeName)
	if where := inside(j); j.state != stateError && where != "" && j.state != stateTag && j.state != stateBeforeValue && j.state != stateAfterName {
		return e.errorf(n, "{{%s}} ends inside %s, which is %v", nodeName, where, errUnsupported)
	}
	return j
}

var doctypeBytes = []byte("<!DOCTYPE")

// escapeText is html/template's escapeText for the supported states: '<'
// that starts no tag becomes &lt; in text, HTML comments are dropped.
func (e *escapeState) escapeText(c context, n *parse.TextNode) context {
	s, written, i, b := n.Text, 0, 0, new(bytes.Buffer)
	for i != len(s) {
		c1, nread := contextAfterText(c, s[i:])
		if c1.state == stateError {
			at := i // where the error is, when the transition says (else the chunk's start)
			if nread < len(s)-i {
				at += nread
			}
			return context{state: stateError, err: fmt.Errorf("template: %s: %v", e.t.location(int(n.Position())+at), c1.err)}
		}
		i1 := i + nread
		if c.state == stateText || c.state == stateRCDATA {
			end := i1
			if c1.state != c.state {
				for j := end - 1; j >= i; j-- {
					if s[j] == '<' {
						end = j
						break
					}
				}
			}
			for j := i; j < end; j++ {
				if s[j] == '<' && !bytes.HasPrefix(bytes.ToUpper(s[j:]), doctypeBytes) {
					b.Write(s[written:j])
					b.WriteString("&lt;")
					written = j + 1
				}
			}
		} else if c.state == stateHTMLCmt {
			written = i1
		}
		if c.state != c1.state && c1.state == stateHTMLCmt {
			b.Write(s[written : i1-4])
			written = i1
		}
		if i == i1 && c.state == c1.state {
			return e.errorf(n, "internal error: no progress from %v on %q", c, s[i:])
		}
		c, i = c1, i1
	}
	if written != 0 && !e.dry {
		if c.state != stateHTMLCmt {
			b.Write(n.Text[written:])
		}
		if e.t.texts == nil {
			e.t.texts = map[*parse.TextNode][]byte{}
		}
		e.t.texts[n] = b.Bytes()
	}
	return c
}

var delimEnds = [...]string{
	delimDoubleQuote:   `"`,
	delimSingleQuote:   "'",
	delimSpaceOrTagEnd: " \t\n\f\r>",
}

func contextAfterText(c context, s []byte) (context, int) {
	if c.delim == delimNone {
		c1, i := tSpecialTagEnd(c, s)
		if i == 0 {
			return c1, 0
		}
		return transition(c, s[:i])
	}
	i := bytes.IndexAny(s, delimEnds[c.delim])
	if i == -1 {
		i = len(s)
	}
	if c.delim == delimSpaceOrTagEnd {
		if j := bytes.IndexAny(s[:i], "\"'<=`"); j >= 0 {
			return context{state: stateError, err: fmt.Errorf("%q in unquoted attr: %q", s[j:j+1], s[:i])}, len(s)
		}
	}
	if i == len(s) {
		if c.state == stateURL {
			c, _ = tURL(c, []byte(html.UnescapeString(string(s))))
		}
		return c, len(s)
	}
	if c.delim != delimSpaceOrTagEnd {
		i++
	}
	return context{state: stateTag, element: c.element}, i
}

func transition(c context, s []byte) (context, int) {
	switch c.state {
	case stateText:
		return tText(c, s)
	case stateTag:
		return tTag(c, s)
	case stateAttrName:
		return tAttrName(c, s)
	case stateAfterName:
		return tAfterName(c, s)
	case stateBeforeValue:
		return tBeforeValue(c, s)
	case stateHTMLCmt:
		return tHTMLCmt(c, s)
	case stateRCDATA:
		return tSpecialTagEnd(c, s)
	case stateURL:
		return tURL(c, s)
	}
	return c, len(s) // stateAttr, stateOpaqueAttr (only reached with a delimiter)
}

var (
	commentStart = []byte("<!--")
	commentEnd   = []byte("-->")
)

func tText(c context, s []byte) (context, int) {
	k := 0
	for {
		i := k + bytes.IndexByte(s[k:], '<')
		if i < k || i+1 == len(s) {
			return c, len(s)
		} else if i+4 <= len(s) && bytes.Equal(commentStart, s[i:i+4]) {
			return context{state: stateHTMLCmt}, i + 4
		}
		i++
		end := false
		if s[i] == '/' {
			if i+1 == len(s) {
				return c, len(s)
			}
			end, i = true, i+1
		}
		j, e := eatTagName(s, i)
		if j != i {
			if end {
				e = elementNone
			} else if e == elementScript || e == elementStyle {
				hint := "email clients drop scripts"
				if e == elementStyle {
					hint = "put styles in style attributes"
				}
				return context{state: stateError, err: fmt.Errorf("<%s> elements are %v (%s)", s[i:j], errUnsupported, hint)}, i - 1
			}
			return context{state: stateTag, element: e}, j
		}
		k = j
	}
}

func tTag(c context, s []byte) (context, int) {
	i := eatWhiteSpace(s, 0)
	if i == len(s) {
		return c, len(s)
	}
	if s[i] == '>' {
		switch c.element {
		case elementTitle, elementTextarea:
			return context{state: stateRCDATA, element: c.element}, i + 1
		}
		return context{state: stateText}, i + 1
	}
	j, err := eatAttrName(s, i)
	if err != nil {
		return context{state: stateError, err: err}, len(s)
	}
	if i == j {
		return context{state: stateError, err: fmt.Errorf("expected space, attr name, or end of tag, but got %q", s[i:])}, len(s)
	}
	a := attrNone
	attrName := strings.ToLower(string(s[i:j]))
	if c.element == elementMeta && attrName == "content" {
		a = attrOpaque
	} else {
		switch attrType(attrName) {
		case contentTypeURL:
			a = attrURL
		case contentTypeCSS, contentTypeJS, contentTypeSrcset:
			a = attrOpaque
		}
	}
	st := stateAfterName
	if j == len(s) {
		st = stateAttrName
	}
	return context{state: st, element: c.element, attr: a}, j
}

func tAttrName(c context, s []byte) (context, int) {
	i, err := eatAttrName(s, 0)
	if err != nil {
		return context{state: stateError, err: err}, len(s)
	} else if i != len(s) {
		c.state = stateAfterName
	}
	return c, i
}

func tAfterName(c context, s []byte) (context, int) {
	i := eatWhiteSpace(s, 0)
	if i == len(s) {
		return c, len(s)
	} else if s[i] != '=' {
		c.state = stateTag
		return c, i
	}
	c.state = stateBeforeValue
	return c, i + 1
}

var attrStartStates = [...]escState{
	attrNone:   stateAttr,
	attrURL:    stateURL,
	attrOpaque: stateOpaqueAttr,
}

func tBeforeValue(c context, s []byte) (context, int) {
	i := eatWhiteSpace(s, 0)
	if i == len(s) {
		return c, len(s)
	}
	d := delimSpaceOrTagEnd
	switch s[i] {
	case '\'':
		d, i = delimSingleQuote, i+1
	case '"':
		d, i = delimDoubleQuote, i+1
	}
	c.state, c.delim = attrStartStates[c.attr], d
	return c, i
}

func tHTMLCmt(c context, s []byte) (context, int) {
	if i := bytes.Index(s, commentEnd); i != -1 {
		return context{}, i + 3
	}
	return c, len(s)
}

var specialTagEndMarkers = [...][]byte{
	elementScript:   []byte("script"),
	elementStyle:    []byte("style"),
	elementTextarea: []byte("textarea"),
	elementTitle:    []byte("title"),
	elementMeta:     []byte(""),
}

var tagEndSeparators = []byte("> \t\n\f/")

func tSpecialTagEnd(c context, s []byte) (context, int) {
	if c.element != elementNone {
		if i := indexTagEnd(s, specialTagEndMarkers[c.element]); i != -1 {
			return context{}, i
		}
	}
	return c, len(s)
}

func indexTagEnd(s []byte, tag []byte) int {
	res := 0
	prefix := []byte("</")
	for len(s) > 0 {
		i := bytes.Index(s, prefix)
		if i == -1 {
			return i
		}
		s = s[i+len(prefix):]
		if len(tag) <= len(s) && bytes.EqualFold(tag, s[:len(tag)]) {
			s = s[len(tag):]
			if len(s) > 0 && bytes.IndexByte(tagEndSeparators, s[0]) != -1 {
				return res + i
			}
			res += len(tag)
		}
		res += i + len(prefix)
	}
	return -1
}

func tURL(c context, s []byte) (context, int) {
	if bytes.ContainsAny(s, "#?") {
		c.urlPart = urlPartQueryOrFrag
	} else if len(s) != eatWhiteSpace(s, 0) && c.urlPart == urlPartNone {
		c.urlPart = urlPartPreQuery
	}
	return c, len(s)
}

func eatAttrName(s []byte, i int) (int, error) {
	for j := i; j < len(s); j++ {
		switch s[j] {
		case ' ', '\t', '\n', '\f', '\r', '=', '>':
			return j, nil
		case '\'', '"', '<':
			return -1, fmt.Errorf("%q in attribute name: %.32q", s[j:j+1], s)
		}
	}
	return len(s), nil
}

var elementNameMap = map[string]element{
	"script":   elementScript,
	"style":    elementStyle,
	"textarea": elementTextarea,
	"title":    elementTitle,
	"meta":     elementMeta,
}

func asciiAlpha(c byte) bool    { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }
func asciiAlphaNum(c byte) bool { return asciiAlpha(c) || '0' <= c && c <= '9' }

func eatTagName(s []byte, i int) (int, element) {
	if i == len(s) || !asciiAlpha(s[i]) {
		return i, elementNone
	}
	j := i + 1
	for j < len(s) {
		x := s[j]
		if asciiAlphaNum(x) {
			j++
			continue
		}
		if (x == ':' || x == '-') && j+1 < len(s) && asciiAlphaNum(s[j+1]) {
			j += 2
			continue
		}
		break
	}
	return j, elementNameMap[strings.ToLower(string(s[i:j]))]
}

func eatWhiteSpace(s []byte, i int) int {
	for j := i; j < len(s); j++ {
		switch s[j] {
		case ' ', '\t', '\n', '\f', '\r':
		default:
			return j
		}
	}
	return len(s)
}

type contentType uint8

const (
	contentTypePlain contentType = iota
	contentTypeCSS
	contentTypeHTML
	contentTypeJS
	contentTypeURL
	contentTypeSrcset
	contentTypeUnsafe
)

// attrTypeMap is html/template's: the content type of each attribute name.
var attrTypeMap = map[string]contentType{
	"accept": contentTypePlain, "accept-charset": contentTypeUnsafe, "action": contentTypeURL, "alt": contentTypePlain,
	"archive": contentTypeURL, "async": contentTypeUnsafe, "autocomplete": contentTypePlain, "autofocus": contentTypePlain,
	"autoplay": contentTypePlain, "background": contentTypeURL, "border": contentTypePlain, "checked": contentTypePlain,
	"cite": contentTypeURL, "challenge": contentTypeUnsafe, "charset": contentTypeUnsafe, "class": contentTypePlain,
	"classid": contentTypeURL, "codebase": contentTypeURL, "cols": contentTypePlain, "colspan": contentTypePlain,
	"content": contentTypeUnsafe, "contenteditable": contentTypePlain, "contextmenu": contentTypePlain, "controls": contentTypePlain,
	"coords": contentTypePlain, "crossorigin": contentTypeUnsafe, "data": contentTypeURL, "datetime": contentTypePlain,
	"default": contentTypePlain, "defer": contentTypeUnsafe, "dir": contentTypePlain, "dirname": contentTypePlain,
	"disabled": contentTypePlain, "draggable": contentTypePlain, "dropzone": contentTypePlain, "enctype": contentTypeUnsafe,
	"for": contentTypePlain, "form": contentTypeUnsafe, "formaction": contentTypeURL, "formenctype": contentTypeUnsafe,
	"formmethod": contentTypeUnsafe, "formnovalidate": contentTypeUnsafe, "formtarget": contentTypePlain, "headers": contentTypePlain,
	"height": contentTypePlain, "hidden": contentTypePlain, "high": contentTypePlain, "href": contentTypeURL,
	"hreflang": contentTypePlain, "http-equiv": contentTypeUnsafe, "icon": contentTypeURL, "id": contentTypePlain,
	"ismap": contentTypePlain, "keytype": contentTypeUnsafe, "kind": contentTypePlain, "label": contentTypePlain,
	"lang": contentTypePlain, "language": contentTypeUnsafe, "list": contentTypePlain, "longdesc": contentTypeURL,
	"loop": contentTypePlain, "low": contentTypePlain, "manifest": contentTypeURL, "max": contentTypePlain,
	"maxlength": contentTypePlain, "media": contentTypePlain, "mediagroup": contentTypePlain, "method": contentTypeUnsafe,
	"min": contentTypePlain, "multiple": contentTypePlain, "name": contentTypePlain, "novalidate": contentTypeUnsafe,
	"open": contentTypePlain, "optimum": contentTypePlain, "pattern": contentTypeUnsafe, "placeholder": contentTypePlain,
	"poster": contentTypeURL, "profile": contentTypeURL, "preload": contentTypePlain, "pubdate": contentTypePlain,
	"radiogroup": contentTypePlain, "readonly": contentTypePlain, "rel": contentTypeUnsafe, "required": contentTypePlain,
	"reversed": contentTypePlain, "rows": contentTypePlain, "rowspan": contentTypePlain, "sandbox": contentTypeUnsafe,
	"spellcheck": contentTypePlain, "scope": contentTypePlain, "scoped": contentTypePlain, "seamless": contentTypePlain,
	"selected": contentTypePlain, "shape": contentTypePlain, "size": contentTypePlain, "sizes": contentTypePlain,
	"span": contentTypePlain, "src": contentTypeURL, "srcdoc": contentTypeHTML, "srclang": contentTypePlain,
	"srcset": contentTypeSrcset, "start": contentTypePlain, "step": contentTypePlain, "style": contentTypeCSS,
	"tabindex": contentTypePlain, "target": contentTypePlain, "title": contentTypePlain, "type": contentTypeUnsafe,
	"usemap": contentTypeURL, "value": contentTypeUnsafe, "width": contentTypePlain, "wrap": contentTypePlain,
	"xmlns": contentTypeURL,
}

func attrType(name string) contentType {
	if strings.HasPrefix(name, "data-") {
		name = name[5:]
	} else if prefix, short, ok := strings.Cut(name, ":"); ok {
		if prefix == "xmlns" {
			return contentTypeURL
		}
		name = short
	}
	if t, ok := attrTypeMap[name]; ok {
		return t
	}
	if strings.HasPrefix(name, "on") {
		return contentTypeJS
	}
	if strings.Contains(name, "src") || strings.Contains(name, "uri") || strings.Contains(name, "url") {
		return contentTypeURL
	}
	return contentTypePlain
}

// stringify is html/template's stringify for one argument of plain content
// (no html/template content type can reach a template here).
func stringify(arg any) string {
	if s, ok := indirectAny(arg).(string); ok {
		return s
	}
	if arg == nil {
		return "" // html/template skips untyped nil arguments
	}
	return fmt.Sprint(indirectToStringerOrError(arg))
}

func indirectAny(a any) any {
	if a == nil {
		return nil
	}
	if t := reflect.TypeOf(a); t.Kind() != reflect.Pointer {
		return a
	}
	v := reflect.ValueOf(a)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v.Interface()
}

func indirectToStringerOrError(a any) any {
	if a == nil {
		return nil
	}
	v := reflect.ValueOf(a)
	for !v.Type().Implements(fmtStringerType) && !v.Type().Implements(errorType) && v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v.Interface()
}

var htmlReplacementTable = []string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// htmlReplacer is html/template's htmlReplacer with htmlReplacementTable
// (htmlEscaper, rcdataEscaper and attrEscaper on plain content).
func htmlReplacer(s string) string {
	written, b := 0, new(strings.Builder)
	r, w := rune(0), 0
	for i := 0; i < len(s); i += w {
		r, w = utf8.DecodeRuneInString(s[i:])
		if int(r) < len(htmlReplacementTable) {
			if repl := htmlReplacementTable[r]; len(repl) != 0 {
				if written == 0 {
					b.Grow(len(s))
				}
				b.WriteString(s[written:i])
				b.WriteString(repl)
				written = i + w
			}
		}
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

const filterFailsafe = "ZgotmplZ"

func urlFilter(arg any) string {
	s := stringify(arg)
	if !isSafeURL(s) {
		return "#" + filterFailsafe
	}
	return s
}

func isSafeURL(s string) bool {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return false
		}
	}
	return true
}

func urlProcessor(norm bool, arg any) string {
	s := stringify(arg)
	var b strings.Builder
	if processURLOnto(s, norm, &b) {
		return b.String()
	}
	return s
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func processURLOnto(s string, norm bool, b *strings.Builder) bool {
	b.Grow(len(s) + 16)
	written := 0
	for i, n := 0, len(s); i < n; i++ {
		c := s[i]
		switch c {
		case '!', '#', '$', '&', '*', '+', ',', '/', ':', ';', '=', '?', '@', '[', ']':
			if norm {
				continue
			}
		case '-', '.', '_', '~':
			continue
		case '%':
			if norm && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				continue
			}
		default:
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				continue
			}
		}
		b.WriteString(s[written:i])
		fmt.Fprintf(b, "%%%02x", c)
		written = i + 1
	}
	b.WriteString(s[written:])
	return written != 0
}
