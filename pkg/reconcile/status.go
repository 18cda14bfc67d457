package reconcile

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
	switch s {
	case Compliant:
		c.Compliant++
	case Remediated:
		c.Remediated++
	case Drift:
		c.Drift++
	case Exempt:
		c.Exempt++
	case Unremediable:
		c.Unremediable++
	case Failed:
		c.Failed++
	case Deleted:
		c.Deleted++
	case Replica:
		c.Replica++
	}
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

// Retried reports whether the check is to be made again soon: it failed,
// and a later try may succeed. The drift function then returns an error
// (Lambda retries the event), the trigger checks again RetryAfter later,
// and the sweep counts it for the next sweep.
func (s Status) Retried() bool { return s == Failed }
