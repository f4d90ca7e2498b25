package touchpoint

import "errors"

// ErrBadSignature is every signature failure. Callers answer 401 with a
// fixed message: the detail would only help a forger.
var ErrBadSignature = errors.New("invalid signature")

// InputError is a malformed or incomplete body. Field names the JSON field
// at fault ("" for the body as a whole); the message is safe to show to the
// sender.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// IgnoredError says a well-formed, verified delivery carries nothing parcours
// uses (an unknown topic). It is answered 202 with the reason.
type IgnoredError struct {
	Reason string
}

func (e *IgnoredError) Error() string { return e.Reason }
