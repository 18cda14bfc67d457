package sweep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/smithy-go"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/tagging"
)

// feed sends the pools to check, from where c says: first the pools to
// check again, then the listing. It moves c past each pool it sends and
// stops at the stop time; it returns a listing error.
func (s *Sweeper) feed(ctx context.Context, stopAt time.Time, c *Continuation, out chan<- cognito.PoolRef) error {
	send := s.sender(ctx, stopAt, out)
	for len(c.Retry) > 0 {
		if !send(c.Retry[0]) {
			return nil
		}
		c.Retry, c.Sent = c.Retry[1:], c.Sent+1
	}
	token, skipTo, restarted := c.Page, "", false
	for !c.Listed {
		page, following, err := s.Reconciler.Gateway().ListPools(ctx, token)
		if err != nil && token != "" && !restarted && tokenRefused(err) {
			// The token expired or its page is gone: list again from the
			// start, skipping every pool up to the last one started.
			s.Log.Warn("page token refused; listing again from the start", "last", c.Last, "error", err.Error())
			token, skipTo, restarted = "", c.Last, true
			continue
		}
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("list user pools: %w", err)
		}
		if skipTo != "" {
			i := slices.IndexFunc(page, func(p cognito.PoolRef) bool { return p.ID == skipTo })
			if i < 0 {
				if following == "" {
					return fmt.Errorf("%w: the listing was started again after its page token was refused, "+
						"and the last pool checked (%s) is gone: the pools after it cannot be told apart from those before", errLost, skipTo)
				}
				token = following
				continue
			}
			c.Page, c.PageStarted, skipTo = token, ids(page[:i+1]), ""
			note(c, fmt.Sprintf("ListUserPools refused the page token in leg %d; the listing started again and resumed after pool %s", c.Legs, c.Last))
		}
		if !sendPage(c, page, send) {
			return nil
		}
		token = following
		c.Page, c.PageStarted, c.Listed = following, nil, following == ""
	}
	return nil
}

// sender sends one pool to out, unless the stop time has passed or ctx
// ended first (then false).
func (s *Sweeper) sender(ctx context.Context, stopAt time.Time, out chan<- cognito.PoolRef) func(cognito.PoolRef) bool {
	return func(p cognito.PoolRef) bool {
		if !stopAt.IsZero() && s.Now().After(stopAt) {
			return false
		}
		select {
		case out <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// sendPage sends the pools of page not started yet, moving c past each;
// false when send stopped.
func sendPage(c *Continuation, page []cognito.PoolRef, send func(cognito.PoolRef) bool) bool {
	for _, p := range page {
		if slices.Contains(c.PageStarted, p.ID) {
			continue
		}
		if !send(p) {
			return false
		}
		c.PageStarted, c.Last, c.Sent = append(c.PageStarted, p.ID), p.ID, c.Sent+1
	}
	return true
}

// errLost: the sweep cannot tell which pools it has not checked.
var errLost = errors.New("the sweep lost its place")

// tokenRefused reports an error ListUserPools answers a page token with
// that retrying the same token cannot mend: a client error other than
// throttling or a denial.
func tokenRefused(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorFault() != smithy.FaultServer && !cognito.IsThrottle(err) && !cognito.IsAccessDenied(err)
}

func ids(pools []cognito.PoolRef) []string {
	out := make([]string, len(pools))
	for i, p := range pools {
		out[i] = p.ID
	}
	return out
}

// note adds a note to the sweep's summary once.
func note(c *Continuation, text string) {
	if !slices.Contains(c.Notes, text) && len(c.Notes) < maxNotes {
		c.Notes = append(c.Notes, text)
	}
}

// deniedNote is the report's note when the tagging API is denied.
const deniedNote = "tag:GetResources was denied, so each pool's tags were read with DescribeUserPool " +
	"(one more UserPoolRead per pool); grant tag:GetResources to the sweep's role"

// poolTags reads, with one tagging call per 100 tagged pools and key,
// which pools carry the tags the policy's rules look at (the exemption tag,
// the profile tag): pool ID -> key -> value. It returns nil when the
// reconciler must read tags itself: no tag rule, no tagging client, or
// the tagging API is denied, which it notes in c.
func (s *Sweeper) poolTags(ctx context.Context, c *Continuation) (map[string]map[string]string, error) {
	pol := s.Reconciler.CurrentPolicy()
	keys := pol.TagKeys()
	if len(keys) == 0 || s.Tags == nil {
		return nil, nil
	}
	tagged, err := tagging.Read(ctx, s.Tags, keys)
	switch {
	case cognito.IsAccessDenied(err):
		s.Log.Warn("reading pool tags per pool", "error", err.Error())
		note(c, deniedNote)
		return nil, nil
	case err != nil:
		return nil, err
	}
	return tagged, nil
}
