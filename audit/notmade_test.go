package audit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eventchain/eventchain/audit"
)

// TestZeroAuditor: an Auditor New did not make says so, rather than panic
// on a nil node or log.
func TestZeroAuditor(t *testing.T) {
	ctx := context.Background()
	for _, a := range []*audit.Auditor{new(audit.Auditor), nil} {
		assert.NotPanics(t, func() {
			assert.ErrorIs(t, a.Restore(ctx), audit.ErrNotMade)
			assert.ErrorIs(t, a.Tick(ctx), audit.ErrNotMade)
			assert.ErrorIs(t, a.Run(ctx), audit.ErrNotMade)
		})
	}
}
