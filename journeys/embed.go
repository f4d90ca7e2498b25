// Package journeys carries the journeys into the Lambdas: the send function
// renders the email templates from FS, laid out as <journey>/<template>.html
// and <journey>/<template>.txt next to each journey.yaml. Marketers edit the
// folders; this Go file only embeds them.
package journeys

import "embed"

// FS holds every journey folder's journey.yaml and templates.
//
//go:embed */journey.yaml */*.html */*.txt
var FS embed.FS
