package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/erase"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/sfnapi"
	"github.com/parcours/parcours/internal/touchpoint"
)

// TestEraseCommand runs `parcours export` and `parcours erase` with the
// real SDK clients configured from the environment only (the SDK's own
// AWS_ENDPOINT_URL_* variables), against the emulator and sfnapi.
func TestEraseCommand(t *testing.T) {
	emu := ddbtest.Start(t)
	table := emu.NewTable(t)
	srv := sfnapi.NewServer()
	sm := "arn:aws:states:eu-west-1:123456789012:stateMachine:parcours-welcome"
	srv.AddStateMachine(sm)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"TABLE_NAME": table, "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": emu.URL, "AWS_ENDPOINT_URL_SFN": ts.URL,
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	store := profile.NewStore(emu.Client, table)
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	if _, err := store.Apply(ctx, touchpoint.Event{ID: "standard:msg-1", Source: "standard", Type: touchpoint.CustomerCreated,
		OccurredAt: at, Email: "ana@example.com", CustomerID: "cus_1", Shop: "demo", Customer: &touchpoint.Customer{FirstName: "Ana"}}); err != nil {
		t.Fatal(err)
	}
	x, err := srv.StartExecution(sm+":live", "welcome-1", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: profile.ProfilePK("ana@example.com")}, "sk": &types.AttributeValueMemberS{Value: profile.ExecSK("welcome-1")},
		"state_machine_arn": &types.AttributeValueMemberS{Value: sm + ":live"},
	}}); err != nil {
		t.Fatal(err)
	}

	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, args, &out, &errb)
		return code, out.String(), errb.String()
	}

	code, out, stderr := cli("export", "--email", " Ana@Example.com")
	var exp erase.Export
	if code != 0 || json.Unmarshal([]byte(out), &exp) != nil || exp.Profile == nil || exp.Profile.FirstName != "Ana" || len(exp.Events) != 1 {
		t.Fatalf("export: %d %s %s", code, out, stderr)
	}
	code, out, stderr = cli("erase", "--email", "ANA@example.com")
	var rep erase.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Profiles != 1 || rep.ExecutionsStopped != 1 || rep.EventsErased != 1 {
		t.Fatalf("erase: %d %s %s", code, out, stderr)
	}
	if strings.Contains(stderr, "@") {
		t.Fatalf("erase logged an address: %s", stderr)
	}
	if d, _ := srv.DescribeExecution(x.ARN); d.Status != sfnapi.StatusAborted {
		t.Fatalf("execution %s", d.Status)
	}
	for _, it := range ddbtest.Scan(t, emu.Client, table) {
		b, _ := json.Marshal(it)
		if strings.Contains(strings.ToLower(string(b)), "ana@example.com") {
			t.Fatalf("left: %s", b)
		}
	}

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"nothing left to export", []string{"export", "--email", "ana@example.com"}, 1, "parcours export: nothing is stored for this address\n"},
		{"erase without a target", []string{"erase"}, 2, "parcours erase: give exactly one of --email or --shop\n"},
		{"erase with both", []string{"erase", "--email", "a@b.example", "--shop", "s"}, 2, "parcours erase: give exactly one of --email or --shop\n"},
		{"export without email", []string{"export"}, 2, "parcours export: --email is required\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, stderr := cli(tc.args...); code != tc.code || stderr != tc.stderr {
				t.Fatalf("got %d %q, want %d %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
	t.Run("no table", func(t *testing.T) {
		t.Setenv("TABLE_NAME", "")
		if code, _, stderr := cli("erase", "--email", "a@b.example"); code != 1 || stderr != "parcours erase: environment variable TABLE_NAME is not set\n" {
			t.Fatalf("got %d %q", code, stderr)
		}
	})
}
