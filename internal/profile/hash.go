package profile

import (
	"crypto/sha256"
	"encoding/hex"
)

// AddressHash is how logs and metrics name a profile: the first 16 hex
// digits of the SHA-256 of its key. Raw addresses never reach a log line.
// It lives here, in a package every function already links, so that logging
// a profile costs no extra dependency.
func AddressHash(email string) string {
	s := sha256.Sum256([]byte(email))
	return hex.EncodeToString(s[:8])
}
