package sesapi

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"
)

// EML renders a message as an RFC 5322 document that any mail client opens:
// the raw MIME as sent, or, for Simple content, a multipart/alternative
// with the text and HTML parts and the custom headers.
func EML(m Message) []byte {
	if len(m.Raw) > 0 {
		return m.Raw
	}
	var b bytes.Buffer
	h := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	h("Message-ID", "<"+m.ID+"@parcours.local>")
	h("Date", m.ReceivedAt.Format(time.RFC1123Z))
	h("From", m.From)
	h("To", strings.Join(m.To, ", "))
	if len(m.Cc) > 0 {
		h("Cc", strings.Join(m.Cc, ", "))
	}
	if len(m.ReplyTo) > 0 {
		h("Reply-To", strings.Join(m.ReplyTo, ", "))
	}
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	for _, x := range m.Headers {
		h(x.Name, x.Value)
	}
	if m.ConfigurationSet != "" {
		h("X-SES-Configuration-Set", m.ConfigurationSet)
	}
	h("MIME-Version", "1.0")

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, data string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		if p.data == "" {
			continue
		}
		pw, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		qw := quotedprintable.NewWriter(pw)
		_, _ = qw.Write([]byte(p.data))
		_ = qw.Close()
	}
	_ = mw.Close()
	b.Write(body.Bytes())
	return b.Bytes()
}
