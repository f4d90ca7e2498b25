// Package statemachines carries the compiled journeys into the Lambdas: the
// router reads triggers.json, the dev stack the *.asl.json definitions.
// `parcours compile` writes these files; this Go file only embeds them.
package statemachines

import "embed"

// FS holds triggers.json and every <journey>.asl.json.
//
//go:embed *.json
var FS embed.FS

// Triggers is the name of the router's manifest in FS.
const Triggers = "triggers.json"
