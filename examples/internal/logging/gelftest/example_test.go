package gelftest_test

import (
	"fmt"
	"log/slog"

	"github.com/eventchain/eventchain/examples/internal/logging"
	"github.com/eventchain/eventchain/examples/internal/logging/gelftest"
)

// A test logs through the GELF handler into a Recorder, then reads the
// message's fields back by their slog keys.
func ExampleRecorder() {
	var rec gelftest.Recorder
	logger := slog.New(logging.NewGELFHandler(&rec, nil))
	logger.Info("block won", "height", 7, slog.Group("miner", "id", "m-1"))

	m := rec.Messages()[0]
	fields, err := gelftest.Fields(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Short, fields["height"], fields["miner"].(map[string]any)["id"])
	// Output:
	// block won 7 m-1
}
