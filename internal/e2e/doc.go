// Package e2e holds the end-to-end tests of the five journeys: each starts
// the dev stack (internal/devstack) in-process on a random loopback port,
// posts signed Standard Webhooks deliveries over HTTP to its webhook route,
// moves the virtual clock, and asserts on the outbox and the executions —
// the same code paths a deployed stack runs, with nothing mocked.
package e2e
