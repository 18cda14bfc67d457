package trigger

import (
	"fmt"
	"testing"
	"time"
)

func TestCacheExpiresAndCaps(t *testing.T) {
	c := newCache[int](3)
	t0 := time.Unix(0, 0)
	c.set("a", 1, t0.Add(time.Minute), t0)
	if v, ok := c.get("a", t0.Add(59*time.Second)); !ok || v != 1 {
		t.Errorf("fresh entry: %v %v", v, ok)
	}
	if _, ok := c.get("a", t0.Add(time.Minute)); ok || c.len() != 0 {
		t.Errorf("expired entry returned or kept (%d entries)", c.len())
	}
	for i := range 10 {
		c.set(fmt.Sprint(i), i, t0.Add(time.Hour), t0)
	}
	if c.len() != 3 {
		t.Errorf("%d entries, cap 3", c.len())
	}
	if _, ok := c.get("9", t0); !ok {
		t.Error("the newest entry was evicted")
	}
	if _, ok := c.get("0", t0); ok {
		t.Error("the oldest entry survived a full cache")
	}
	// Expired entries make room before live ones are evicted.
	c = newCache[int](3)
	c.set("old", 0, t0.Add(time.Second), t0)
	c.set("x", 1, t0.Add(time.Hour), t0)
	c.set("y", 2, t0.Add(time.Hour), t0.Add(2*time.Second))
	c.set("z", 3, t0.Add(time.Hour), t0.Add(2*time.Second))
	for _, k := range []string{"x", "y", "z"} {
		if _, ok := c.get(k, t0.Add(3*time.Second)); !ok {
			t.Errorf("%s evicted while an expired entry was there", k)
		}
	}
}
