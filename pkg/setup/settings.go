package setup

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// Kind says how a variable's text is read.
type Kind int

const (
	Text     Kind = iota // any text
	Number               // a decimal number within [Min, Max]
	Integer              // a whole number within [Min, Max]
	Duration             // a Go duration ("90s") within [Min, Max] seconds
	Choice               // one of Values, exactly
	ARNs                 // comma-separated ARNs
	Policy               // a policy document (policy.Load)
)

// Var is one environment variable a function reads: where it comes from,
// its default and what is accepted. The template test checks each Var
// against template.yaml, so the template cannot deploy a value the
// function refuses.
type Var struct {
	Env     string
	Param   string // template parameter that sets it; "" when the template sets a constant
	Kind    Kind
	Default string
	Min     float64 // Number; Duration in seconds
	Max     float64
	Values  []string // Choice
}

// The variables, one place for each name, default and bound.
var (
	PolicyVar = Var{Env: "MFA_POLICY", Param: "PolicyDocument", Kind: Policy}
	// An SSM parameter (name or ARN) holding the policy instead of MFA_POLICY.
	PolicyParameterVar = Var{Env: "MFA_POLICY_PARAMETER", Param: "PolicyParameter", Kind: Text}
	// How often a warm function reads the parameter again. At least 30 s:
	// every warm instance of every account reads it, against GetParameter's
	// shared throughput.
	PolicyRefreshVar = Var{Env: "POLICY_REFRESH", Param: "PolicyRefreshSeconds", Kind: Duration, Default: "5m", Min: 30, Max: 3600}
	EventBusVar      = Var{Env: "EVENT_BUS_NAME", Kind: Text}
	LogLevelVar      = Var{Env: "LOG_LEVEL", Param: "LogLevel", Kind: Choice, Default: "INFO", Values: []string{"DEBUG", "INFO", "WARN", "ERROR"}}
	RoleARNsVar      = Var{Env: "ENFORCER_ROLE_ARNS", Kind: ARNs}
	// The percentage of each of AWS's request-rate quotas (pkg/quota) one
	// function may use in any second, all its instances together.
	QuotaShareVar  = Var{Env: "QUOTA_SHARE", Param: "QuotaSharePercent", Kind: Integer, Default: "50", Min: 1, Max: 100}
	ConcurrencyVar = Var{Env: "SWEEP_CONCURRENCY", Kind: Integer, Default: "4", Min: 1, Max: 64}
	// How long a trigger instance does not enqueue again a pool or user it
	// enqueued: repeat sign-ins do not flood the queue.
	PoolCheckTTLVar = Var{Env: "POOL_CHECK_TTL", Param: "PoolCheckTTLSeconds", Kind: Duration, Default: "5m", Min: 1, Max: 86400}
	// The queue the trigger sends sign-ins to (the template's SignInQueue).
	SignInQueueVar = Var{Env: "SIGN_IN_QUEUE_URL", Kind: Text}
	// Import pool findings into Security Hub CSPM too.
	SecurityHubVar = Var{Env: "SECURITY_HUB", Param: "EnableSecurityHub", Kind: Choice, Default: "false", Values: []string{"true", "false"}}
	// The coverage ledger (DynamoDB table); empty: no ledger.
	CoverageTableVar = Var{Env: "COVERAGE_TABLE", Kind: Text}
	// The sign-in check's dead-letter queue: sign-ins the ledger may lack.
	SignInDeadLettersVar = Var{Env: "SIGN_IN_DEAD_LETTER_QUEUE_URL", Kind: Text}
	// The sweep's pace reading the ledger, in read units per second: an
	// on-demand table serves 12,000 at once and up to 40,000 by default.
	CoverageReadUnitsVar = Var{Env: "COVERAGE_READ_UNITS_PER_SECOND", Param: "CoverageReadUnitsPerSecond", Kind: Number, Default: "3000", Min: 100, Max: 40000}
)

// Vars lists what each function reads, by logical ID in template.yaml.
var Vars = map[string][]Var{
	"DriftFunction": append(common(), RoleARNsVar, SecurityHubVar),
	"SweepFunction": append(common(), ConcurrencyVar, SecurityHubVar, CoverageTableVar, CoverageReadUnitsVar, SignInDeadLettersVar),
	// The trigger reads no policy and calls no Cognito API: it only enqueues.
	"TriggerFunction":     {SignInQueueVar, LogLevelVar, PoolCheckTTLVar},
	"SignInCheckFunction": append(common(), CoverageTableVar),
}

// common lists what every function that checks pools reads (Settings).
func common() []Var {
	return []Var{PolicyVar, PolicyParameterVar, PolicyRefreshVar, EventBusVar, LogLevelVar, QuotaShareVar}
}

// MaxConcurrency is the most instances of each function that run at once,
// which its pacer divides the quota share by (pace.ForFunction). The
// template caps each function at it with ReservedConcurrentExecutions
// (TestConcurrencyMatchesTemplate); the sweep runs one leg at a time, and
// one leg's goroutines share one pacer. The sign-in check's SQS event
// source also caps it (ScalingConfig.MaximumConcurrency, 2 at least). The
// trigger is not listed: Cognito calls it on every sign-in, so it cannot be
// capped, and it calls no Cognito API.
var MaxConcurrency = map[string]int{
	"DriftFunction":       2,
	"SweepFunction":       1,
	"SignInCheckFunction": 2,
}

// Check reports whether s is a value the functions accept, with an error
// naming the variable.
func (v Var) Check(s string) error {
	_, err := v.parse(s)
	return err
}

func (v Var) value() (any, error) {
	s, ok := os.LookupEnv(v.Env)
	if !ok || s == "" {
		s = v.Default
	}
	return v.parse(s)
}

func (v Var) parse(s string) (any, error) {
	if parse, ok := parsers[v.Kind]; ok {
		return parse(v, s)
	}
	return s, nil
}

// parsers read each kind of variable, refusing what is out of its bounds.
var parsers = map[Kind]func(v Var, s string) (any, error){
	Number: func(v Var, s string) (any, error) {
		// ParseFloat reads "NaN" and "Inf", which no bound check refuses.
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < v.Min || f > v.Max {
			return nil, fmt.Errorf("%s: %q is not a number from %g to %g", v.Env, s, v.Min, v.Max)
		}
		return f, nil
	},
	Integer: func(v Var, s string) (any, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || float64(n) < v.Min || float64(n) > v.Max {
			return nil, fmt.Errorf("%s: %q is not a whole number from %g to %g", v.Env, s, v.Min, v.Max)
		}
		return int(n), nil
	},
	Duration: func(v Var, s string) (any, error) {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		lo, hi := seconds(v.Min), seconds(v.Max)
		if err != nil || d < lo || d > hi {
			return nil, fmt.Errorf("%s: %q is not a duration from %s to %s (like 90s or 5m)", v.Env, s, lo, hi)
		}
		return d, nil
	},
	Choice: func(v Var, s string) (any, error) {
		if !slices.Contains(v.Values, s) {
			return nil, fmt.Errorf("%s: %q is not one of %s", v.Env, s, strings.Join(v.Values, ", "))
		}
		return s, nil
	},
	ARNs: func(v Var, s string) (any, error) {
		var arns []string
		for _, arn := range strings.Split(s, ",") {
			if arn = strings.TrimSpace(arn); arn != "" {
				if !strings.HasPrefix(arn, "arn:") {
					return nil, fmt.Errorf("%s: %q is not an ARN", v.Env, arn)
				}
				arns = append(arns, arn)
			}
		}
		return arns, nil
	},
	Policy: func(v Var, s string) (any, error) {
		if s == "" {
			// Unset or empty (the template's default): the defaults. A value
			// of spaces is refused like a blank parameter version.
			return policy.Default(), nil
		}
		p, err := policy.Load(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.Env, err)
		}
		return p, nil
	},
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// reader collects the first error while reading several variables.
type reader struct{ err error }

func get[T any](r *reader, v Var) T {
	var zero T
	if r.err != nil {
		return zero
	}
	x, err := v.value()
	if err != nil {
		r.err = err
		return zero
	}
	return x.(T)
}

// Settings are the validated settings every function shares.
type Settings struct {
	Policy          policy.Policy // the inline policy; with PolicyParameter, the first valid version read (see Central)
	PolicyParameter string        // SSM parameter name or ARN; empty: the inline policy
	PolicyRefresh   time.Duration // how often a warm function reads the parameter again
	EventBusName    string        // empty: findings are not published
	LogLevel        slog.Level
	// Share is the part of AWS's quotas the function may use: build its
	// pacer with pace.ForFunction(s.Share, id.MaxConcurrency()).
	Share quota.Share
}

// Common returns the settings every checking function shares.
func (s Settings) Common() Settings { return s }

func (r *reader) common() Settings {
	s := Settings{Policy: get[policy.Policy](r, PolicyVar), PolicyParameter: strings.TrimSpace(get[string](r, PolicyParameterVar)),
		PolicyRefresh: get[time.Duration](r, PolicyRefreshVar), EventBusName: get[string](r, EventBusVar),
		Share: quota.Share{Percent: get[int](r, QuotaShareVar)}}
	s.Policy.Origin = policy.Origin{Source: "inline"}
	if s.PolicyParameter != "" && strings.TrimSpace(os.Getenv(PolicyVar.Env)) != "" && r.err == nil {
		// Two sources would leave the reader guessing which one is in force.
		r.err = fmt.Errorf("%s and %s are both set: set one (the parameter is the policy's only source when set)", PolicyVar.Env, PolicyParameterVar.Env)
	}
	if lvl := get[string](r, LogLevelVar); lvl != "" {
		_ = s.LogLevel.UnmarshalText([]byte(lvl)) // one of Values, all slog names
	}
	return s
}

// DriftSettings are the DriftFunction's settings.
type DriftSettings struct {
	Settings
	OwnRoles    []string // the enforcer's roles: their changes are not checked again
	SecurityHub bool     // import findings into Security Hub
}

// SweepSettings are the SweepFunction's settings.
type SweepSettings struct {
	Settings
	Concurrency int  // pools checked at once, all through one pacer
	SecurityHub bool // import findings into Security Hub
	// CoverageTable is the coverage ledger ("": none), read at
	// CoverageReadUnits read units per second.
	CoverageTable     string
	CoverageReadUnits float64
	// SignInDeadLetters is the sign-in check's dead-letter queue, whose
	// depth the sweep reports beside coverage ("": not read).
	SignInDeadLetters string
}

// TriggerSettings are the TriggerFunction's settings: no policy.
type TriggerSettings struct {
	QueueURL string        // SIGN_IN_QUEUE_URL
	TTL      time.Duration // how long an enqueued pool or user is not enqueued again
	LogLevel slog.Level
}

// Logger returns the trigger's JSON logger.
func (s TriggerSettings) Logger(function string) *slog.Logger {
	return Settings{LogLevel: s.LogLevel}.Logger(function)
}

// SignInSettings are the SignInCheckFunction's settings.
type SignInSettings struct {
	Settings
	CoverageTable string // the coverage ledger; "": none
}

// LoadDrift reads and validates the DriftFunction's variables; an error
// names the first variable that is wrong.
func LoadDrift() (DriftSettings, error) {
	var r reader
	s := DriftSettings{Settings: r.common(), OwnRoles: get[[]string](&r, RoleARNsVar), SecurityHub: get[string](&r, SecurityHubVar) == "true"}
	return s, r.err
}

// LoadSweep reads and validates the SweepFunction's variables.
func LoadSweep() (SweepSettings, error) {
	var r reader
	s := SweepSettings{Settings: r.common(), Concurrency: get[int](&r, ConcurrencyVar), SecurityHub: get[string](&r, SecurityHubVar) == "true",
		CoverageTable: strings.TrimSpace(get[string](&r, CoverageTableVar)), CoverageReadUnits: get[float64](&r, CoverageReadUnitsVar),
		SignInDeadLetters: strings.TrimSpace(get[string](&r, SignInDeadLettersVar))}
	return s, r.err
}

// LoadTrigger reads and validates the TriggerFunction's variables.
func LoadTrigger() (TriggerSettings, error) {
	var r reader
	s := TriggerSettings{QueueURL: strings.TrimSpace(get[string](&r, SignInQueueVar)), TTL: get[time.Duration](&r, PoolCheckTTLVar)}
	if lvl := get[string](&r, LogLevelVar); lvl != "" {
		_ = s.LogLevel.UnmarshalText([]byte(lvl))
	}
	if r.err == nil && s.QueueURL == "" {
		r.err = fmt.Errorf("%s: not set: the trigger has no queue to send sign-ins to", SignInQueueVar.Env)
	}
	return s, r.err
}

// LoadSignIn reads and validates the SignInCheckFunction's variables.
func LoadSignIn() (SignInSettings, error) {
	var r reader
	s := SignInSettings{Settings: r.common()}
	s.CoverageTable = strings.TrimSpace(get[string](&r, CoverageTableVar))
	return s, r.err
}
