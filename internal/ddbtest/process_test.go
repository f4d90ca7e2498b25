package ddbtest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without node_modules the dynalite tests fail (never skip) and say how to
// get it.
func TestDynaliteMissingSaysMakeNPM(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	_, err := startDynalite()
	want := filepath.Join(dir, "node_modules", ".bin", "node") + " is missing: run `make npm` to install the pinned JavaScript test peers (dynalite, node@22)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

// A port taken between freePort and dynalite's bind is reported as
// errPortTaken, which startDynalite retries on another port.
func TestDynalitePortTaken(t *testing.T) {
	node, cli, err := dynalitePaths()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p, err := startNode(node, cli, l.Addr().(*net.TCPAddr).Port)
	if err == nil {
		p.stop()
		t.Fatal("dynalite started on a taken port")
	}
	if !errors.Is(err, errPortTaken) {
		t.Fatalf("err = %v, want errPortTaken", err)
	}
}

// StartDynalite's process is killed and reaped when its test ends, and
// its endpoint stops answering.
func TestStartDynaliteCleanup(t *testing.T) {
	var d *Dynalite
	t.Run("run", func(t *testing.T) {
		d = StartDynalite(t)
		d.NewTable(t)
	})
	select {
	case <-d.proc.exited:
	default:
		t.Fatal("dynalite still running after its test ended")
	}
	if st := d.proc.cmd.ProcessState; st == nil || !strings.Contains(st.String(), "killed") {
		t.Fatalf("process state %v, want killed", st)
	}
}
