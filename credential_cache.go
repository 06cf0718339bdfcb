package d365

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// fetchFunc signs in and returns a new access token for scope
// ("<resource>/.default"). It must go to the identity provider: the
// tokenCache is the only cache in front of it.
type fetchFunc func(ctx context.Context, resource, scope string) (accessToken string, expiresOn time.Time, err error)

// tokenCache caches one token per resource and makes sure that, however many
// goroutines ask at once, a single sign-in per resource is in flight. Its
// lock is held only to read and update the map, never during a sign-in, so a
// slow sign-in for one resource delays no other.
type tokenCache struct {
	fetch  fetchFunc
	margin time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	tok       *oauth2.Token // nil when there is none or it was invalidated
	refreshAt time.Time     // when tok must be replaced
	flight    *flight       // the sign-in in progress, if any
}

// flight is one sign-in; waiters block on done and then read tok and err.
type flight struct {
	done     chan struct{}
	tok      *oauth2.Token
	err      error
	canceled bool // the sign-in failed because its caller's context ended
}

func newTokenCache(fetch fetchFunc, cfg credentialConfig) *tokenCache {
	return &tokenCache{fetch: fetch, margin: cfg.refreshMargin, now: cfg.now, entries: map[string]*cacheEntry{}}
}

// Token returns the cached token for resource if it is not due for refresh,
// otherwise signs in (once, whatever the number of callers) and caches the
// new token.
func (c *tokenCache) Token(ctx context.Context, resource string) (*oauth2.Token, error) {
	origin, scope, err := resourceScope(resource)
	if err != nil {
		return nil, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c.mu.Lock()
		e := c.entries[origin]
		if e == nil {
			e = &cacheEntry{}
			c.entries[origin] = e
		}
		if e.tok != nil && c.now().Before(e.refreshAt) {
			tok := copyToken(e.tok)
			c.mu.Unlock()
			return tok, nil
		}
		f := e.flight
		if f == nil {
			// This goroutine signs in; the others wait for it.
			f = &flight{done: make(chan struct{})}
			e.flight = f
			c.mu.Unlock()
			c.signIn(ctx, e, f, origin, scope)
			if f.err != nil {
				return nil, f.err
			}
			return copyToken(f.tok), nil
		}
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err == nil {
			return copyToken(f.tok), nil
		}
		if f.canceled {
			// The goroutine that signed in gave up; this one has not:
			// try again.
			continue
		}
		return nil, f.err
	}
}

func (c *tokenCache) signIn(ctx context.Context, e *cacheEntry, f *flight, origin, scope string) {
	defer func() {
		// A panicking fetch must not leave the waiters blocked forever.
		if r := recover(); r != nil {
			c.finish(e, f, nil, time.Time{}, errors.New("d365: credential: sign-in panicked"), false)
			panic(r)
		}
	}()
	start := c.now()
	at, expiresOn, err := c.fetch(ctx, origin, scope)
	if err != nil {
		if ctx.Err() == nil && c.serveStale(e, f) {
			return
		}
		c.finish(e, f, nil, time.Time{}, err, ctx.Err() != nil)
		return
	}
	if at == "" {
		c.finish(e, f, nil, time.Time{}, errors.New("d365: credential: the identity provider returned an empty access token"), false)
		return
	}
	// The token's lifetime is measured on the wall clock (the sign-in
	// library computes expiresOn with time.Now) and carried over to
	// c.now, so that an injected clock sees consistent expiries.
	lifetime := time.Until(expiresOn)
	expiry := start.Add(lifetime)
	margin := c.margin
	if lifetime < 2*margin {
		margin = lifetime / 2
	}
	tok := &oauth2.Token{AccessToken: at, TokenType: "Bearer", Expiry: expiry}
	c.finish(e, f, tok, expiry.Add(-margin), nil, false)
}

func (c *tokenCache) finish(e *cacheEntry, f *flight, tok *oauth2.Token, refreshAt time.Time, err error, canceled bool) {
	c.mu.Lock()
	if err == nil {
		e.tok, e.refreshAt = tok, refreshAt
	}
	if e.flight == f {
		e.flight = nil
	}
	f.tok, f.err, f.canceled = tok, err, canceled
	close(f.done)
	c.mu.Unlock()
}

// staleGrace is how long before its expiry a cached token stops being
// served when refreshing it fails, and staleRetry how long such a token is
// served before the next attempt to refresh it.
const (
	staleGrace = time.Minute
	staleRetry = 30 * time.Second
)

// serveStale handles a failed refresh while the cached token is still valid
// (Microsoft Entra ID briefly unavailable, a network blip): the cached token
// is served for a little longer instead of failing requests that it can
// still authorize. It reports whether it did so.
func (c *tokenCache) serveStale(e *cacheEntry, f *flight) bool {
	c.mu.Lock()
	now := c.now()
	tok := e.tok
	if tok == nil || !now.Before(tok.Expiry.Add(-staleGrace)) {
		c.mu.Unlock()
		return false
	}
	retry := now.Add(staleRetry)
	if last := tok.Expiry.Add(-staleGrace); retry.After(last) {
		retry = last
	}
	e.refreshAt = retry
	if e.flight == f {
		e.flight = nil
	}
	f.tok = tok
	close(f.done)
	c.mu.Unlock()
	return true
}

// InvalidateToken drops the cached token for resource if it is still
// accessToken; the next Token call then signs in again.
func (c *tokenCache) InvalidateToken(resource, accessToken string) {
	origin, _, err := resourceScope(resource)
	if err != nil || accessToken == "" {
		return
	}
	c.mu.Lock()
	if e := c.entries[origin]; e != nil && e.tok != nil && e.tok.AccessToken == accessToken {
		e.tok = nil
	}
	c.mu.Unlock()
}

// Format describes the cache for every verb without its tokens (they are
// behind pointers that reflection-based printers show as addresses; this
// covers a print of the cache itself).
func (c *tokenCache) Format(f fmt.State, verb rune) {
	n := 0
	if c != nil {
		c.mu.Lock()
		n = len(c.entries)
		c.mu.Unlock()
	}
	desc := fmt.Sprintf("d365.tokenCache{resources: %d}", n)
	formatRedacted(f, verb, desc, desc)
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, Expiry: t.Expiry}
}
