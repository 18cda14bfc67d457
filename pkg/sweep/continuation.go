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
	// maxAge is how long ago a sweep may have started: a day (10,000 pools
	// take about 20 minutes at the default share).
	maxAge = 24 * time.Hour
	// maxCount bounds every count of a tally: no sweep counts this much, so
	// a larger one is forged, and sums over legs cannot overflow.
	maxCount = 1 << 40
)

// Event is what carries a sweep on: the state machine invokes the
// function with the last leg's continuation until it is null, and with
// its execution's ID, which binds a continuation to the execution that
// started it.
type Event struct {
	Continuation *Continuation `json:"continuation"`
	Execution    string        `json:"execution,omitempty"`
}

// Decode returns the continuation an event carries, nil for any other
// event (a schedule's, say), the state machine execution the leg runs in
// ("" when invoked by hand), and an error naming the field for a
// continuation that does not hold in region at now: starting over would
// hide the mistake, carrying on could skip pools or report false counts.
// A continuation not handed on within one execution is marked Unbound: the
// sweep it ends cannot prove it checked every pool, and says incomplete.
func Decode(event []byte, region string, now time.Time) (*Continuation, string, error) {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(event, &fields)
	var execution string
	_ = json.Unmarshal(fields["execution"], &execution)
	if fields["continuation"] == nil || string(fields["continuation"]) == "null" {
		return nil, execution, nil
	}
	var old struct {
		Done *json.RawMessage `json:"done"`
	}
	if json.Unmarshal(fields["continuation"], &old) == nil && old.Done != nil {
		return nil, "", errors.New("continuation.done: a position in a page, from a version before continuations named pools; " +
			"this execution cannot carry on safely: the next scheduled sweep starts afresh (or start one now)")
	}
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.DisallowUnknownFields()
	var ev Event
	if err := dec.Decode(&ev); err != nil {
		return nil, "", fmt.Errorf("event with a continuation: %w", err)
	}
	if err := counts("continuation.tally", fields["continuation"]); err != nil {
		return nil, "", err
	}
	if err := ev.Continuation.Check(region, now); err != nil {
		return nil, "", err
	}
	if ev.Execution == "" || ev.Continuation.Execution != ev.Execution {
		ev.Continuation.Unbound = true
	}
	return ev.Continuation, ev.Execution, nil
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
	case c.Started.Before(now.Add(-maxAge)):
		return fmt.Errorf("continuation.started: %s is more than %s ago: no sweep runs that long", c.Started.Format(time.RFC3339), maxAge)
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
	if c.Tally.Checked > c.Sent {
		return fmt.Errorf("continuation.tally.checked: %d, more than the pools handed to checks (%d)", c.Tally.Checked, c.Sent)
	}
	profiles := 0
	for name, pc := range c.Tally.Profiles {
		if pc.Checked < pc.ByStatus() {
			return fmt.Errorf("continuation.tally.profiles.%s.checked: %d, fewer than its pools counted by status", name, pc.Checked)
		}
		profiles += pc.Checked
	}
	if profiles > c.Tally.Checked {
		return fmt.Errorf("continuation.tally.profiles: %d pools, more than checked (%d)", profiles, c.Tally.Checked)
	}
	return c.Tally.Coverage.check(c.Tally.Checked)
}

// check holds coverage totals to what adds up: users with MFA among the
// active ones, each factor's users too, pools measured among those checked.
func (t *CoverageTotals) check(checked int) error {
	if t == nil {
		return nil
	}
	f := t.Factors
	switch {
	case t.WithMFA > t.ActiveUsers:
		return fmt.Errorf("continuation.tally.coverage.withMfa: %d of %d active users", t.WithMFA, t.ActiveUsers)
	case max(f.SoftwareToken, f.SMS, f.Email, f.PasskeyMFA) > t.WithMFA:
		return fmt.Errorf("continuation.tally.coverage.factors: more users with a factor than with MFA (%d)", t.WithMFA)
	case t.Pools+t.Unknown > checked:
		return fmt.Errorf("continuation.tally.coverage.pools: %d measured or unknown, more than checked (%d)", t.Pools+t.Unknown, checked)
	case t.Unrecorded != 0:
		return errors.New("continuation.tally.coverage.unrecorded: counted at a sweep's end only, never carried on")
	case t.BelowPolicy > t.Pools:
		return fmt.Errorf("continuation.tally.coverage.belowPolicy: %d of %d pools measured", t.BelowPolicy, t.Pools)
	}
	return nil
}

// counts reports the first number in a continuation's tally that is
// negative or too large for any sweep (maxCount), whatever fields the tally
// has: a forged tally would make the summary's counts wrong, or overflow
// them.
func counts(field string, continuation json.RawMessage) error {
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
			if v > maxCount {
				return fmt.Errorf("%s: %v, more than any sweep counts", path, v)
			}
		}
		return nil
	}
	return walk(field, c.Tally)
}
