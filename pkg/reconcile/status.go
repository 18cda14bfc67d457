package reconcile

import (
	"fmt"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/cognito"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
)

// What an outcome means, for every function: which statuses exist, how
// they are counted, which become findings and which are checked again.

// Status is the outcome of one pool or user check.
type Status string

const (
	Compliant    Status = "compliant"    // nothing to do
	Remediated   Status = "remediated"   // drift corrected
	Drift        Status = "drift"        // drift found in report mode, nothing written
	Exempt       Status = "exempt"       // exempt by ID or tag, never written
	Unremediable Status = "unremediable" // some drift cannot be (or was refused to be) corrected
	Failed       Status = "failed"       // an AWS call failed; state unknown or unchanged
	Deleted      Status = "deleted"      // the pool no longer exists
	Replica      Status = "replica"      // a secondary replica: only the primary Region writes it
)

// Ignored is the drift function's answer to an event that needs no check:
// nothing was read or written, and it is neither counted nor published.
const Ignored Status = "ignored"

// meaning is what a status says, for every function.
type meaning struct {
	drifted bool // drift was found: the pool (or user) fell short of the policy
	judged  bool // the configuration was read and judged against the policy
	known   bool // what the pool is now is known here: judged, or gone
}

var meanings = map[Status]meaning{
	Compliant:    {judged: true, known: true},
	Remediated:   {drifted: true, judged: true, known: true},
	Drift:        {drifted: true, judged: true, known: true},
	Exempt:       {judged: true, known: true},
	Unremediable: {drifted: true, judged: true, known: true},
	Failed:       {},
	Deleted:      {known: true},
	Replica:      {},
	Ignored:      {known: true},
}

// Counts tallies results by status.
type Counts struct {
	Checked      int `json:"checked"`
	Compliant    int `json:"compliant"`
	Remediated   int `json:"remediated"`
	Drift        int `json:"drift"`
	Exempt       int `json:"exempt"`
	Unremediable int `json:"unremediable"`
	Failed       int `json:"failed"`
	Deleted      int `json:"deleted"`
	Replica      int `json:"replica"`
}

// Add counts one result's status.
func (c *Counts) Add(s Status) {
	c.Checked++
	if n := c.of(s); n != nil {
		*n++
	}
}

// of is the count of s; nil for a status not counted (Ignored).
func (c *Counts) of(s Status) *int {
	return map[Status]*int{Compliant: &c.Compliant, Remediated: &c.Remediated, Drift: &c.Drift, Exempt: &c.Exempt,
		Unremediable: &c.Unremediable, Failed: &c.Failed, Deleted: &c.Deleted, Replica: &c.Replica}[s]
}

// ByStatus counts the results counted under a status: at most Checked
// (an ignored event is checked but under no status).
func (c Counts) ByStatus() int {
	n := 0
	for s := range meanings {
		if p := c.of(s); p != nil {
			n += *p
		}
	}
	return n
}

// Drifted counts the results that found drift (Status.Drifted).
func (c Counts) Drifted() int {
	n := 0
	for s, m := range meanings {
		if p := c.of(s); m.drifted && p != nil {
			n += *p
		}
	}
	return n
}

// Merge adds o's counts to c, as the legs of one sweep add up.
func (c *Counts) Merge(o Counts) {
	c.Checked += o.Checked
	c.Compliant += o.Compliant
	c.Remediated += o.Remediated
	c.Drift += o.Drift
	c.Exempt += o.Exempt
	c.Unremediable += o.Unremediable
	c.Failed += o.Failed
	c.Deleted += o.Deleted
	c.Replica += o.Replica
}

// Published reports whether a result becomes a finding: every status but
// compliant (compliant pools and users are only counted).
func (s Status) Published() bool { return s != Compliant }

// Published reports whether a pool result becomes a finding: as its
// status says, and also when it is compliant by an equivalent the policy
// accepts in place of MFA ON, which its reviewers see.
func (res Result) Published() bool { return res.Status.Published() || res.Equivalent != "" }

// Retried reports whether the check is to be made again soon: it failed,
// and a later try may succeed. The drift function then returns an error
// (Lambda retries the event), the trigger checks again RetryAfter later,
// and the sweep counts it for the next sweep.
func (s Status) Retried() bool { return s == Failed }

// Drifted reports whether the check found drift: the pool or user fell
// short of the policy, whether or not it was corrected.
func (s Status) Drifted() bool { return meanings[s].drifted }

// Judged reports whether the check read the configuration and judged it
// against the policy; failed, deleted, replica and ignored checks did not.
func (s Status) Judged() bool { return meanings[s].judged }

// Known reports whether what the pool is now is known here: judged, or
// gone. A failed check and a replica (written in its primary Region) say
// nothing about it.
func (s Status) Known() bool { return meanings[s].known }

// Uncorrected is s once a violation no write here corrects is found (MFA
// coverage below the policy's minimum): a compliant pool drifts in report
// mode and is unremediable in enforce mode, as is a remediated one.
func (s Status) Uncorrected(mode policy.Mode) Status {
	switch {
	case s == Compliant && mode == policy.Report:
		return Drift
	case s == Compliant || s == Remediated:
		return Unremediable
	}
	return s
}

// failure is the outcome of a pool or user check whose step failed with
// err, the same for both: what no longer exists is deleted, a call Cognito
// does not enable in this Region is a replica's (written in its primary
// Region: not retried), anything else failed (and is retried). id names
// the pool or user in the error, subject in the message.
func failure(step, id, subject string, err error) (Status, string, error) {
	switch {
	case cognito.IsNotFound(err) || cognito.IsUserNotFound(err):
		return Deleted, subject + " no longer exists", nil
	case cognito.IsNotEnabled(err):
		return Replica, fmt.Sprintf("%s: Cognito does not enable this call in this Region: the pool is a secondary replica of a "+
			"multi-Region pool, whose primary Region writes its configuration and users (corrected there); not retried (%v)", step, err), nil
	}
	e := fmt.Errorf("%s for %s: %w", step, id, err)
	return Failed, e.Error(), e
}
