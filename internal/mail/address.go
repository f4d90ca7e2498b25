// Package mail renders journey emails from their templates and builds the
// headers every parcours email carries.
package mail

import (
	"crypto/sha256"
	"encoding/hex"
)

// AddressHash is how logs and metrics name a profile: the first 16 hex
// digits of the SHA-256 of its key. Raw addresses never reach a log line.
func AddressHash(email string) string {
	s := sha256.Sum256([]byte(email))
	return hex.EncodeToString(s[:8])
}
