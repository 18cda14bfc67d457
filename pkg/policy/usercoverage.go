package policy

// Coverage is observed state: how many of a pool's users seen signing in
// within the window have an MFA factor. Only users who signed in are
// counted: nothing reads the others.
type Coverage struct {
	ActiveUsers int `json:"activeUsers"`
	WithMFA     int `json:"withMfa"`
	// Ratio is WithMFA / ActiveUsers; null when no user was active.
	Ratio      *float64     `json:"ratio"`
	WindowDays int          `json:"windowDays"`
	Factors    FactorCounts `json:"factors"`
}

// FactorCounts counts active users by the factors they have enabled; a
// user with two factors counts under both.
type FactorCounts struct {
	SoftwareToken int `json:"softwareToken"`
	SMS           int `json:"sms"`
	Email         int `json:"email"`
	PasskeyMFA    int `json:"passkeyMfa"`
}

// Count adds one active user's MFA state.
func (c *Coverage) Count(u UserMFA) {
	c.ActiveUsers++
	if len(u.Enabled) > 0 || u.PasskeyMFA {
		c.WithMFA++
	}
	for _, f := range u.Enabled {
		switch f {
		case SoftwareToken:
			c.Factors.SoftwareToken++
		case SMS:
			c.Factors.SMS++
		case Email:
			c.Factors.Email++
		}
	}
	if u.PasskeyMFA {
		c.Factors.PasskeyMFA++
	}
	c.setRatio()
}

// Merge adds o's users to c, as pools add up to an account.
func (c *Coverage) Merge(o Coverage) {
	c.ActiveUsers += o.ActiveUsers
	c.WithMFA += o.WithMFA
	c.Factors.SoftwareToken += o.Factors.SoftwareToken
	c.Factors.SMS += o.Factors.SMS
	c.Factors.Email += o.Factors.Email
	c.Factors.PasskeyMFA += o.Factors.PasskeyMFA
	c.setRatio()
}

func (c *Coverage) setRatio() {
	c.Ratio = nil
	if c.ActiveUsers > 0 {
		r := float64(c.WithMFA) / float64(c.ActiveUsers)
		c.Ratio = &r
	}
}
