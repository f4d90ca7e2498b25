// Package reliability holds the fault tests of parcours: faults injected
// at the local DynamoDB, Step Functions and SES endpoints of a dev stack
// (internal/fault, devstack.Config.Faults), real webhooks over loopback,
// and checks that nothing was lost, doubled or half-written, and that
// every failure ends somewhere visible. docs/reliability.md reports what
// was tried and what held.
package reliability
