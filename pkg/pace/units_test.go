package pace

import (
	"context"
	"testing"
	"time"
)

// TestUnitsSpaceCalls: a call waits for the units spent before it, across
// callers.
func TestUnitsSpaceCalls(t *testing.T) {
	u := NewUnits(1000)
	u.Spend(100) // 0.1 s of units
	u.mu.Lock()
	ahead := time.Until(u.next)
	u.mu.Unlock()
	if ahead <= 50*time.Millisecond || ahead > 100*time.Millisecond {
		t.Errorf("after 100 units at 1000/s the next call starts in %v, want about 100ms", ahead)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := u.Wait(ctx); err == nil {
		t.Error("Wait ignored a cancelled context")
	}
	if NewUnits(0) != nil {
		t.Error("a zero rate paces")
	}
}
