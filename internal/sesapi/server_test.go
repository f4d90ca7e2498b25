package sesapi_test

import (
	"context"
	"errors"
	"mime"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/parcours/parcours/internal/sesapi"
)

func client(t *testing.T, s *sesapi.Server) *sesv2.Client {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return sesv2.New(sesv2.Options{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ts.URL),
	})
}

func simple() *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress:     aws.String("Shop <hello@shop.example>"),
		Destination:          &types.Destination{ToAddresses: []string{"ana@example.com"}},
		ConfigurationSetName: aws.String("parcours"),
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Votre panier — encore là")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String("Bonjour Ana")},
				Html: &types.Content{Data: aws.String("<p>Bonjour Ana</p>")},
			},
			Headers: []types.MessageHeader{
				{Name: aws.String("List-Unsubscribe"), Value: aws.String("<https://shop.example/unsubscribe?t=x>")},
				{Name: aws.String("List-Unsubscribe-Post"), Value: aws.String("List-Unsubscribe=One-Click")},
			},
		}},
		EmailTags: []types.MessageTag{
			{Name: aws.String("journey"), Value: aws.String("abandoned-cart")},
			{Name: aws.String("step"), Value: aws.String("first")},
		},
	}
}

func TestSendEmailStoresOutbox(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s := sesapi.NewServer(sesapi.WithEMLDir(dir), sesapi.WithClock(func() time.Time { return at }))
	c := client(t, s)

	out, err := c.SendEmail(context.Background(), simple())
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	box := s.Outbox()
	if len(box) != 1 {
		t.Fatalf("outbox has %d messages, want 1", len(box))
	}
	m := box[0]
	if aws.ToString(out.MessageId) != m.ID || m.ID == "" {
		t.Errorf("MessageId %q, outbox id %q", aws.ToString(out.MessageId), m.ID)
	}
	if m.From != "Shop <hello@shop.example>" || strings.Join(m.To, ",") != "ana@example.com" {
		t.Errorf("from/to = %q %v", m.From, m.To)
	}
	if m.Subject != "Votre panier — encore là" || m.Text != "Bonjour Ana" || m.HTML != "<p>Bonjour Ana</p>" {
		t.Errorf("content = %q %q %q", m.Subject, m.Text, m.HTML)
	}
	if m.Header("list-unsubscribe-post") != "List-Unsubscribe=One-Click" {
		t.Errorf("headers = %v", m.Headers)
	}
	if m.ConfigurationSet != "parcours" || m.Tags["journey"] != "abandoned-cart" || m.Tags["step"] != "first" {
		t.Errorf("config set / tags = %q %v", m.ConfigurationSet, m.Tags)
	}
	if !m.ReceivedAt.Equal(at) {
		t.Errorf("ReceivedAt = %v", m.ReceivedAt)
	}

	f, err := os.Open(filepath.Join(dir, m.ID+".eml"))
	if err != nil {
		t.Fatalf("eml: %v", err)
	}
	defer f.Close()
	parsed, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("parse eml: %v", err)
	}
	subj, _ := new(mimeDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	if subj != m.Subject || parsed.Header.Get("List-Unsubscribe") != "<https://shop.example/unsubscribe?t=x>" {
		t.Errorf("eml headers: subject %q, %v", subj, parsed.Header)
	}
}

func TestSendEmailRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*sesv2.SendEmailInput)
		code   string
	}{
		{"no from", func(in *sesv2.SendEmailInput) { in.FromEmailAddress = nil }, "BadRequestException"},
		{"no destination", func(in *sesv2.SendEmailInput) { in.Destination = &types.Destination{} }, "BadRequestException"},
		{"no body", func(in *sesv2.SendEmailInput) { in.Content.Simple.Body = &types.Body{} }, "BadRequestException"},
		{"header injection", func(in *sesv2.SendEmailInput) {
			in.Content.Simple.Headers = []types.MessageHeader{{Name: aws.String("X-A"), Value: aws.String("a\r\nBcc: b@x")}}
		}, "BadRequestException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sesapi.NewServer()
			in := simple()
			tt.mutate(in)
			_, err := client(t, s).SendEmail(context.Background(), in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
				t.Fatalf("err = %v, want API error %s", err, tt.code)
			}
			if n := len(s.Outbox()); n != 0 {
				t.Errorf("outbox has %d messages after a rejected call", n)
			}
		})
	}
}

func TestRejectNext(t *testing.T) {
	s := sesapi.NewServer()
	c := client(t, s)
	s.RejectNext(1)
	_, err := c.SendEmail(context.Background(), simple())
	var rej *types.MessageRejected
	if !errors.As(err, &rej) {
		t.Fatalf("err = %v, want *types.MessageRejected", err)
	}
	if _, err := c.SendEmail(context.Background(), simple()); err != nil {
		t.Fatalf("second SendEmail: %v", err)
	}
	if n := len(s.Outbox()); n != 1 {
		t.Errorf("outbox = %d, want 1", n)
	}
}

func TestUnknownOperation(t *testing.T) {
	s := sesapi.NewServer()
	_, err := client(t, s).GetAccount(context.Background(), &sesv2.GetAccountInput{})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want NotFoundException", err)
	}
}

type mimeDecoder = mime.WordDecoder
