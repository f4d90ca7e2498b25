package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestASLCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flow := write("flow.json", `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","ResultPath":"$.t","Next":"W"},
		"W":{"Type":"Wait","Seconds":864000,"Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.t.ok","BooleanEquals":true,"Next":"Done"}],"Default":"Bad"},
		"Done":{"Type":"Succeed"},"Bad":{"Type":"Fail","Error":"NotOk","Cause":"t.ok was false"}}}`)
	invalid := write("invalid.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}`)
	notJSON := write("notjson.json", `{"StartAt":`)

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{
			name:   "success prints the output",
			args:   []string{"asl", "run", flow, "--input", `{"k":"<v>"}`, "--task-override", `T=printf '{"ok":true,"in":%s}' "$1"`},
			code:   0,
			stdout: `{"k":"<v>","t":{"in":{"k":"<v>"},"ok":true}}` + "\n",
		},
		{
			name:   "json report",
			args:   []string{"asl", "run", "--json", flow, "--task-override", `T=echo '{"ok":true}'`, "--wait-override", "W=0"},
			code:   0,
			stdout: `{"status":"SUCCEEDED","output":{"t":{"ok":true}},"states":["T","W","C","Done"],"transitions":4}` + "\n",
		},
		{
			name:   "failed execution exits 1",
			args:   []string{"asl", "run", flow, "--json", "--task-override", `T=echo '{"ok":false}'`},
			code:   1,
			stdout: `{"status":"FAILED","output":null,"error":"NotOk","cause":"t.ok was false","states":["T","W","C","Bad"],"transitions":4}` + "\n",
		},
		{
			name:   "override failing is States.TaskFailed with stderr as cause",
			args:   []string{"asl", "run", flow, "--task-override", `T=echo 'no luck' >&2; exit 3`},
			code:   1,
			stderr: "execution failed: States.TaskFailed: no luck\n",
		},
		{
			name:   "task without override",
			args:   []string{"asl", "run", flow},
			code:   1,
			stderr: `execution failed: States.TaskFailed: no --task-override for state "T" (resource arn:aws:lambda:us-east-1:1:function:f)` + "\n",
		},
		{
			name:   "override printing non-JSON",
			args:   []string{"asl", "run", flow, "--task-override", `T=echo hello`},
			code:   1,
			stderr: "execution failed: States.TaskFailed: override output is not JSON: invalid character 'h' looking for beginning of value\n",
		},
		{
			name:   "invalid definition exits 2 with the reason",
			args:   []string{"asl", "run", invalid},
			code:   2,
			stderr: "parcours asl: " + invalid + `: invalid definition: state "A": Next "Nowhere" is not a state` + "\n",
		},
		{
			name:   "definition that is not JSON",
			args:   []string{"asl", "validate", notJSON},
			code:   2,
			stderr: "parcours asl: " + notJSON + ": parse definition: unexpected EOF\n",
		},
		{
			name:   "validate ok",
			args:   []string{"asl", "validate", flow},
			code:   0,
			stdout: flow + ": valid\n",
		},
		{
			name:   "bad input JSON",
			args:   []string{"asl", "run", flow, "--input", "{"},
			code:   2,
			stderr: "parcours asl: --input is not JSON: unexpected EOF\n",
		},
		{
			name:   "bad wait override",
			args:   []string{"asl", "run", flow, "--wait-override", "W=soon"},
			code:   2,
			stderr: `parcours asl: --wait-override "W=soon": want 'StateName=<milliseconds>'` + "\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errOut)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut.String())
			}
			if out.String() != tc.stdout {
				t.Errorf("stdout = %q\nwant     %q", out.String(), tc.stdout)
			}
			if errOut.String() != tc.stderr {
				t.Errorf("stderr = %q\nwant     %q", errOut.String(), tc.stderr)
			}
		})
	}
}

func TestASLUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"asl", "frobnicate"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(errOut.String(), `parcours asl: unknown subcommand "frobnicate"`) {
		t.Fatalf("stderr = %q", errOut.String())
	}
}
