package odata

import (
	"sync"
	"time"
)

// headerWatch bounds the wait for response headers of every attempt of a
// client with one timer, instead of a timer per attempt. All attempts of a
// client share the bound, so their deadlines come in the order the
// attempts started: the watch keeps the waiting attempts in that order and
// arms its timer for the oldest one's deadline. An attempt that starts while
// the timer is armed (for an earlier deadline) arms nothing; one that ends
// leaves the timer armed, and the timer, when it fires, cancels the attempts
// past their deadline and re-arms for the next one. A timer per attempt cost
// about 3% of a create on loopback, through the runtime's timer heap and
// scheduler, more than its own few hundred nanoseconds.
type headerWatch struct {
	bound time.Duration

	mu         sync.Mutex // guards the list, the timer and armed
	head, tail *attemptBody
	timer      *time.Timer
	armed      bool // the timer will fire
}

// add starts the bound of a (which must not be watched yet).
func (w *headerWatch) add(a *attemptBody) {
	a.deadline = time.Now().Add(w.bound)
	w.mu.Lock()
	a.watched = true
	a.prev, a.next = w.tail, nil
	if w.tail != nil {
		w.tail.next = a
	} else {
		w.head = a
	}
	w.tail = a
	if !w.armed {
		w.arm(w.bound)
	}
	w.mu.Unlock()
}

// done ends the bound of a, and reports whether its headers came in time:
// false when the watch already cancelled it.
func (w *headerWatch) done(a *attemptBody) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !a.watched {
		return false
	}
	w.unlink(a)
	return true
}

// unlink takes a out of the list; w.mu is held.
func (w *headerWatch) unlink(a *attemptBody) {
	if a.prev != nil {
		a.prev.next = a.next
	} else {
		w.head = a.next
	}
	if a.next != nil {
		a.next.prev = a.prev
	} else {
		w.tail = a.prev
	}
	a.prev, a.next, a.watched = nil, nil, false
}

// arm sets the timer to fire after d; w.mu is held.
func (w *headerWatch) arm(d time.Duration) {
	w.armed = true
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.fire)
		return
	}
	w.timer.Reset(d)
}

// fire cancels the attempts past their deadline, oldest first, and arms the
// timer for the next deadline, if an attempt still waits.
func (w *headerWatch) fire() {
	now := time.Now()
	var late []*attemptBody
	w.mu.Lock()
	w.armed = false
	for w.head != nil && !w.head.deadline.After(now) {
		a := w.head
		w.unlink(a)
		late = append(late, a)
	}
	if w.head != nil {
		w.arm(w.head.deadline.Sub(now))
	}
	w.mu.Unlock()
	for _, a := range late {
		a.cancel(&a.headerStall)
	}
}
