package webhook

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Store remembers the deliveries a Handler has taken, so that a retry or a
// replay is not handled twice. A store shared by several processes (a
// database table with a unique key) makes the de-duplication hold across
// them. Implementations must be safe for concurrent use.
type Store interface {
	// Add records key, seen at now. It returns false when key is
	// already recorded (the delivery is a duplicate).
	Add(ctx context.Context, key string, now time.Time) (bool, error)
	// Forget removes key, so that the next delivery with it is handled.
	Forget(ctx context.Context, key string) error
}

// MemoryStore is a Store in memory holding at most a number of keys, each
// for a time to live; the oldest go first.
type MemoryStore struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	order *list.List // of *memEntry, oldest first
	keys  map[string]*list.Element
}

type memEntry struct {
	key  string
	seen time.Time
}

// NewMemoryStore returns a MemoryStore of at most max keys (at least 1)
// kept for ttl (forever when ttl <= 0).
func NewMemoryStore(max int, ttl time.Duration) *MemoryStore {
	if max < 1 {
		max = 1
	}
	return &MemoryStore{max: max, ttl: ttl, order: list.New(), keys: map[string]*list.Element{}}
}

// Add implements Store.
func (m *MemoryStore) Add(_ context.Context, key string, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ttl > 0 {
		for el := m.order.Front(); el != nil; el = m.order.Front() {
			if now.Sub(el.Value.(*memEntry).seen) < m.ttl {
				break
			}
			m.remove(el)
		}
	}
	if _, ok := m.keys[key]; ok {
		return false, nil
	}
	for m.order.Len() >= m.max {
		m.remove(m.order.Front())
	}
	m.keys[key] = m.order.PushBack(&memEntry{key: key, seen: now})
	return true, nil
}

// Forget implements Store.
func (m *MemoryStore) Forget(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.keys[key]; ok {
		m.remove(el)
	}
	return nil
}

// Len returns how many keys the store holds.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

func (m *MemoryStore) remove(el *list.Element) {
	delete(m.keys, el.Value.(*memEntry).key)
	m.order.Remove(el)
}
