package ddbtest_test

import (
	"os"
	"testing"

	"github.com/parcours/parcours/internal/ddbtest"
)

func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }
