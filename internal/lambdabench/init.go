package lambdabench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Process is a function binary running against a local Runtime API.
type Process struct {
	API     *RuntimeAPI
	Started time.Time
	cmd     *exec.Cmd
	stderr  bytes.Buffer
	exited  chan error
}

// Start runs bin with env (plus AWS_LAMBDA_RUNTIME_API) against a new
// Runtime API.
func Start(bin string, env []string) (*Process, error) {
	api, err := StartRuntimeAPI()
	if err != nil {
		return nil, err
	}
	p := &Process{API: api, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(slices.Clone(env), "AWS_LAMBDA_RUNTIME_API="+api.Addr())
	p.cmd.Stderr = &p.stderr
	p.Started = time.Now()
	if err := p.cmd.Start(); err != nil {
		api.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	return p, nil
}

// Ready waits for the first next request and returns the init time (from
// process start). A process that exits first is an error with its stderr.
func (p *Process) Ready(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type res struct {
		at  time.Time
		err error
	}
	ch := make(chan res, 1)
	go func() { at, err := p.API.FirstNext(ctx); ch <- res{at, err} }()
	select {
	case r := <-ch:
		if r.err != nil {
			return 0, r.err
		}
		return r.at.Sub(p.Started), nil
	case err := <-p.exited:
		p.exited <- err
		return 0, fmt.Errorf("exited before its first next request (%v): %s", err, strings.TrimSpace(p.stderr.String()))
	}
}

// Stop kills the process and closes the Runtime API.
func (p *Process) Stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.exited <- nil
	p.API.Close()
}

// InitTimes starts bin n times and returns each init time.
func InitTimes(ctx context.Context, bin string, env []string, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for range n {
		p, err := Start(bin, env)
		if err != nil {
			return nil, err
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		d, err := p.Ready(rctx)
		cancel()
		p.Stop()
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Percentile is the p-th percentile (0–100, nearest rank) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
