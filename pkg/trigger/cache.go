package trigger

import (
	"container/list"
	"sync"
	"time"
)

// cache holds values until a per-entry expiry, and at most max entries:
// expired entries are dropped when met, and when it is full the oldest
// entry goes first. A trigger instance sees unboundedly many users; its
// memory must not grow with them.
type cache[V any] struct {
	mu    sync.Mutex
	max   int
	items map[string]*list.Element
	order *list.List // of *entry[V], most recently set at the front
}

type entry[V any] struct {
	key   string
	until time.Time
	val   V
}

func newCache[V any](max int) *cache[V] {
	return &cache[V]{max: max, items: map[string]*list.Element{}, order: list.New()}
}

// get returns the value for key unless it is absent or expired at now.
func (c *cache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.items[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*entry[V])
	if !now.Before(e.until) {
		c.remove(el)
		return zero, false
	}
	return e.val, true
}

// set stores val for key until the given time.
func (c *cache[V]) set(key string, val V, until, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	for back := c.order.Back(); back != nil && !now.Before(back.Value.(*entry[V]).until); back = c.order.Back() {
		c.remove(back)
	}
	for c.order.Len() >= max(c.max, 1) {
		c.remove(c.order.Back())
	}
	c.items[key] = c.order.PushFront(&entry[V]{key: key, until: until, val: val})
}

func (c *cache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *cache[V]) remove(el *list.Element) {
	delete(c.items, el.Value.(*entry[V]).key)
	c.order.Remove(el)
}
