// Package modroot finds the module's root folder, for tests and test
// helpers that run the pinned npm peers from node_modules.
package modroot

import (
	"errors"
	"os"
	"path/filepath"
)

// Find returns the nearest folder holding go.mod, from the working
// directory up (a test's working directory is its package folder).
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
