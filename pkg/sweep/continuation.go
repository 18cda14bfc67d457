package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// Bounds of a continuation. Anyone allowed to start the state machine can
// hand the function one, so each field is checked before any AWS call.
const (
	// MaxLegs ends a sweep as incomplete: a Standard execution's history
	// holds 25,000 events, a leg takes five.
	MaxLegs = 1000
	// maxRetry: a leg cuts off at most one pool per worker (64 at most,
	// SWEEP_CONCURRENCY's bound) and carries what it did not send.
	maxRetry    = 64
	maxPage     = 60   // ListUserPools' largest page
	maxToken    = 4096 // longer than any page token Cognito hands out
	maxNotes    = 8
	maxNoteLen  = 1024
	maxNameLen  = 128 // Cognito's longest pool name
	maxProfiles = 100
	// clockSkew is how far in the future a continuation's start may be:
	// legs may run on hosts whose clocks differ a little.
	clockSkew = time.Minute
)

// Event is what carries a sweep on: the state machine invokes the
// function with the last leg's continuation until it is null.
type Event struct {
	Continuation *Continuation `json:"continuation"`
}

// Decode returns the continuation an event carries, nil for any other
// event (a schedule's, say), and an error naming the field for a
// continuation that does not hold in region at now: starting over would
// hide the mistake, carrying on could skip pools or report false counts.
func Decode(event []byte, region string, now time.Time) (*Continuation, error) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(event, &fields) != nil || fields["continuation"] == nil || string(fields["continuation"]) == "null" {
		return nil, nil
	}
	var old struct {
		Done *json.RawMessage `json:"done"`
	}
	if json.Unmarshal(fields["continuation"], &old) == nil && old.Done != nil {
		return nil, errors.New("continuation.done: a position in a page, from a version before continuations named pools; " +
			"this execution cannot carry on safely: the next scheduled sweep starts afresh (or start one now)")
	}
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.DisallowUnknownFields()
	var ev Event
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("event with a continuation: %w", err)
	}
	if err := negatives("continuation.tally", fields["continuation"]); err != nil {
		return nil, err
	}
	if err := ev.Continuation.Check(region, now); err != nil {
		return nil, err
	}
	return ev.Continuation, nil
}

// Check reports the first field of c that does not hold for a sweep in
// region at now, named as in the event.
func (c *Continuation) Check(region string, now time.Time) error {
	for _, check := range []func() error{c.checkListing, func() error { return c.checkBounds(now) },
		func() error { return c.checkPools(region) }, c.checkTally} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// checkListing holds the listing's progress together: a page in progress
// and a finished listing exclude each other, and Last ends the page.
func (c *Continuation) checkListing() error {
	switch {
	case len(c.Page) > maxToken || strings.ContainsAny(c.Page, " \t\r\n"):
		return fmt.Errorf("continuation.page: not a ListUserPools token (%d bytes; at most %d, no spaces)", len(c.Page), maxToken)
	case len(c.PageStarted) > maxPage:
		return fmt.Errorf("continuation.pageStarted: %d pools, more than a page (%d)", len(c.PageStarted), maxPage)
	case c.Listed && (c.Page != "" || len(c.PageStarted) > 0):
		return errors.New("continuation.listed: true, yet a page is in progress")
	case c.Listed && len(c.Retry) == 0:
		return errors.New("continuation.listed: true with nothing to retry: such a sweep is over and has no continuation")
	case c.Listed && c.Last == "":
		// A page token without a last pool is possible: Cognito can
		// answer a page with no pool and a token.
		return errors.New("continuation.last: empty, yet the listing ended with pools to retry")
	case len(c.PageStarted) > 0 && c.Last != c.PageStarted[len(c.PageStarted)-1]:
		return fmt.Errorf("continuation.last: %q is not the last of pageStarted", c.Last)
	}
	return nil
}

// checkBounds bounds the sizes, the start time and the legs.
func (c *Continuation) checkBounds(now time.Time) error {
	switch {
	case len(c.Retry) > maxRetry:
		return fmt.Errorf("continuation.retry: %d pools, at most %d", len(c.Retry), maxRetry)
	case c.Started.IsZero():
		return errors.New("continuation.started: missing")
	case c.Started.After(now.Add(clockSkew)):
		return fmt.Errorf("continuation.started: %s is in the future", c.Started.Format(time.RFC3339))
	case c.Legs < 1 || c.Legs >= MaxLegs:
		return fmt.Errorf("continuation.legs: %d, want 1 to %d", c.Legs, MaxLegs-1)
	case len(c.Notes) > maxNotes:
		return fmt.Errorf("continuation.notes: %d notes, at most %d", len(c.Notes), maxNotes)
	case len(c.Tally.Profiles) > maxProfiles:
		return fmt.Errorf("continuation.tally.profiles: %d profiles, at most %d", len(c.Tally.Profiles), maxProfiles)
	}
	return nil
}

// checkPools holds every pool named to pool IDs of region, each once in
// the page.
func (c *Continuation) checkPools(region string) error {
	pool := func(field, id string) error {
		if !policy.IsPoolID(id) || !strings.HasPrefix(id, region+"_") {
			return fmt.Errorf("continuation.%s: %q is not a user pool ID of %s", field, id, region)
		}
		return nil
	}
	if c.Last != "" {
		if err := pool("last", c.Last); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i, id := range c.PageStarted {
		if err := pool(fmt.Sprintf("pageStarted[%d]", i), id); err != nil {
			return err
		}
		if seen[id] {
			return fmt.Errorf("continuation.pageStarted[%d]: %s twice", i, id)
		}
		seen[id] = true
	}
	for i, p := range c.Retry {
		if err := pool(fmt.Sprintf("retry[%d].id", i), p.ID); err != nil {
			return err
		}
		if len(p.Name) > maxNameLen {
			return fmt.Errorf("continuation.retry[%d].name: %d bytes, at most %d", i, len(p.Name), maxNameLen)
		}
	}
	return nil
}

// checkTally bounds the notes and holds the tally to AWS's quota
// categories and to counts that add up.
func (c *Continuation) checkTally() error {
	for i, n := range c.Notes {
		if len(n) > maxNoteLen {
			return fmt.Errorf("continuation.notes[%d]: %d bytes, at most %d", i, len(n), maxNoteLen)
		}
	}
	for cat := range c.Tally.Calls {
		if _, ok := quota.Lookup(cat); !ok {
			return fmt.Errorf("continuation.tally.calls.%s: not one of AWS's quota categories", cat)
		}
	}
	if c.Tally.Equivalent > c.Tally.Compliant+c.Tally.Remediated+c.Tally.Drift+c.Tally.Unremediable {
		return fmt.Errorf("continuation.tally.compliantByEquivalent: %d, more than the pools judged", c.Tally.Equivalent)
	}
	if c.Tally.Checked < c.Tally.Counts.ByStatus() {
		return fmt.Errorf("continuation.tally.checked: %d, fewer than the pools counted by status", c.Tally.Checked)
	}
	return nil
}

// negatives reports the first negative number in a continuation's tally,
// whatever fields the tally has: a forged tally would make the summary's
// counts wrong.
func negatives(field string, continuation json.RawMessage) error {
	var c struct{ Tally any }
	if err := json.Unmarshal(continuation, &c); err != nil {
		return fmt.Errorf("event with a continuation: %w", err)
	}
	var walk func(path string, v any) error
	walk = func(path string, v any) error {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if err := walk(path+"."+k, x); err != nil {
					return err
				}
			}
		case float64:
			if v < 0 {
				return fmt.Errorf("%s: %v, a count cannot be negative", path, v)
			}
		}
		return nil
	}
	return walk(field, c.Tally)
}
