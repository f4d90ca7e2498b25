package devstack

import (
	"log/slog"
	"net/http"

	"github.com/parcours/parcours/internal/ddbtx"
)

// txFront serves DynamoDB's TransactWriteItems in front of the embedded
// emulator, in time proportional to the transaction's items: package
// internal/ddbtx, whose comment says how.
//
// minidyn v0.8.2 makes a transaction atomic by deep-copying every table it
// touches before running it (core.Table.Snapshot) and putting the copy back
// if an item fails. With the whole product writing one transaction per
// webhook, that copy was most of the dev stack's CPU and made a load run's
// time grow with the square of its size (docs/reliability.md). The front
// gets the same atomicity with a stack-wide lock, per-item images and
// rollback, answers minidyn's TransactionCanceledException byte for byte
// (ddbtx_test.go compares both) and honours ClientRequestToken as DynamoDB
// does. The stack's front is not Standalone: TransactGetItems and the
// transactions the front does not take apart go to minidyn (ddbshard.go).
type txFront = ddbtx.Front

func newTxFront(next http.Handler, log *slog.Logger) *txFront {
	return ddbtx.New(next, ddbtx.Options{Log: log})
}

// replayHeader marks the answer to a TransactWriteItems that was not
// applied because its token had already succeeded: the stream must not
// emit its records again. The stream removes it before answering.
const replayHeader = ddbtx.ReplayHeader

// The DynamoDB JSON shapes the shards read and write (ddbshard.go).
type (
	attrs        = ddbtx.Attrs
	txWriteInput = ddbtx.WriteInput
	txOp         = ddbtx.Op
)

// answer is a response from one minidyn server.
type answer struct {
	status int
	body   []byte
}

func writeAWSError(w http.ResponseWriter, status int, typ, msg string) {
	ddbtx.WriteAWSError(w, status, typ, msg)
}

func writeJSONBody(w http.ResponseWriter, status int, body []byte) { ddbtx.WriteJSON(w, status, body) }
