package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestDemoCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := demoMain(context.Background(), []string{"--dir", "../.."}, &stdout, &stderr, func(string) string { return "" })
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"parcours demo: five customers on the dev stack at http://127.0.0.1:",
		"Outbox: 13 emails",
		"Every email the story expects was sent, and no other.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestDemoCommandRejects(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"extra argument", []string{"now"}, nil, 2, `parcours demo: unexpected argument "now"`},
		{"port out of range", []string{"--port", "70000"}, nil, 2, "parcours demo: port 70000: want 0 to 65535"},
		{"unknown flag", []string{"--fast"}, nil, 2, "flag provided but not defined: -fast"},
		{"port taken", []string{"--dir", "../..", "--port", busyPort}, nil, 1,
			"parcours demo: listen on 127.0.0.1:" + busyPort + ": the port is already in use"},
		{"port taken, from PORT", []string{"--dir", "../.."}, map[string]string{"PORT": busyPort}, 1,
			"parcours demo: listen on 127.0.0.1:" + busyPort + ": the port is already in use"},
		{"no template", []string{"--dir", t.TempDir()}, nil, 1, "parcours demo: events/demo/01-lucas-order-placed.json not found in "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := demoMain(context.Background(), tc.args, &stdout, &stderr, func(k string) string { return tc.env[k] })
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), tc.code, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}
