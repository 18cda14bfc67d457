// Package attach attaches the enforcer's trigger (the stack's
// TriggerFunction, as a pool's PreAuthentication and PostAuthentication
// Lambda triggers) to user pools, or detaches it.
//
// UpdateUserPool resets every setting its request leaves out to its default
// (Lambda triggers, tags, verification messages, SMS and email configuration,
// threat protection, sign-in policy...), so the only safe write is a
// read-modify-write: DescribeUserPool, copy every writable member, change the
// two triggers, write it all back. A pool is written only when the request
// carries every member of its DescribeUserPool answer, read raw and not only
// as the SDK parsed it, with the same value, except the read-only members
// (ReadOnly) and the two triggers; otherwise it is refused and the member
// named. A trigger that is another function's is never overwritten. After a
// write the pool is read again and compared with what it was.
package attach

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/pace"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/policy"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"
)

// API is the part of the Cognito client attach calls.
type API interface {
	ListUserPools(ctx context.Context, in *cip.ListUserPoolsInput, optFns ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error)
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	UpdateUserPool(ctx context.Context, in *cip.UpdateUserPoolInput, optFns ...func(*cip.Options)) (*cip.UpdateUserPoolOutput, error)
}

var _ API = (*cip.Client)(nil)

// DefaultShare is the part of Cognito's quotas the command uses: 20% of
// UserPoolRead and UserPoolUpdate, a few calls per second, leaving the rest
// to the applications that share them.
var DefaultShare = quota.Share{Percent: 20}

// Action is what to do with the trigger.
type Action string

// The two actions.
const (
	Attach Action = "attach"
	Detach Action = "detach"
)

// Outcome is what became of one pool.
type Outcome string

// Outcomes, as printed.
const (
	WouldAttach Outcome = "would attach"
	Attached    Outcome = "attached"
	WouldDetach Outcome = "would detach"
	Detached    Outcome = "detached"
	Unchanged   Outcome = "unchanged"
	Refused     Outcome = "refused"
	Failed      Outcome = "failed"
)

// Triggers are the two Lambda triggers the enforcer uses ("": none).
type Triggers struct{ PreAuthentication, PostAuthentication string }

// Result is one pool's outcome, with its triggers before and after (the
// same unless the pool is, or would be, written).
type Result struct {
	PoolID, Name  string
	Outcome       Outcome
	Reason        string
	Before, After Triggers
}

// String is the pool's line of output.
func (r Result) String() string {
	outcome := string(r.Outcome)
	if r.Reason != "" {
		outcome += ": " + r.Reason
	}
	show := func(name, before, after string) string {
		if before == after {
			return name + " " + orNone(before)
		}
		return name + " " + orNone(before) + " -> " + orNone(after)
	}
	return fmt.Sprintf("%s  %q  %s  [%s; %s]", r.PoolID, r.Name, outcome,
		show("PreAuthentication", r.Before.PreAuthentication, r.After.PreAuthentication),
		show("PostAuthentication", r.Before.PostAuthentication, r.After.PostAuthentication))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Config is one run.
type Config struct {
	Action Action
	ARN    string   // the TriggerFunction's ARN
	Pools  []string // the pools, unless All
	All    bool     // every pool of the account and Region (ListUserPools)
	Apply  bool     // write; otherwise only report
	// Pacer paces the Cognito calls (nil: DefaultShare); Backoff retries
	// the throttled ones through it.
	Pacer   *pace.Pacer
	Backoff pace.Backoff
}

// Summary counts the outcomes of a run.
type Summary struct {
	Counts  map[Outcome]int
	Results []Result
}

// Problems is the number of pools refused or failed.
func (s Summary) Problems() int { return s.Counts[Refused] + s.Counts[Failed] }

func (s Summary) line(cfg Config) string {
	var parts []string
	for _, o := range []Outcome{WouldAttach, Attached, WouldDetach, Detached, Unchanged, Refused, Failed} {
		if n := s.Counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if len(parts) == 0 {
		parts = []string{"nothing to do"}
	}
	mode := "report mode, nothing written (-apply writes)"
	if cfg.Apply {
		mode = "applied"
	}
	pools := "pools"
	if len(s.Results) == 1 {
		pools = "pool"
	}
	return fmt.Sprintf("summary: %s %s on %d %s: %s; %s", cfg.Action, cfg.ARN, len(s.Results), pools, strings.Join(parts, ", "), mode)
}

// Run attaches or detaches the trigger on the configured pools, one after
// the other, printing a line per pool and a summary to out. Its error is a
// run that could not go on (the pools could not be listed, ctx ended); a
// pool's own failure is its outcome.
func Run(ctx context.Context, api API, cfg Config, out io.Writer) (Summary, error) {
	if err := cfg.validate(); err != nil {
		return Summary{}, err
	}
	if cfg.Pacer == nil {
		cfg.Pacer = pace.ForFunction(DefaultShare, 1)
	}
	r := &runner{api: api, cfg: cfg}
	ids := cfg.Pools
	if cfg.All {
		var err error
		if ids, err = r.list(ctx); err != nil {
			return Summary{}, err
		}
	}
	sum := Summary{Counts: map[Outcome]int{}}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		res := r.pool(ctx, id)
		sum.Counts[res.Outcome]++
		sum.Results = append(sum.Results, res)
		fmt.Fprintln(out, res)
	}
	fmt.Fprintln(out, sum.line(cfg))
	return sum, nil
}

var lambdaARN = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$`)

func (c Config) validate() error {
	switch {
	case c.Action != Attach && c.Action != Detach:
		return fmt.Errorf("action %q: attach or detach", c.Action)
	case !lambdaARN.MatchString(c.ARN):
		return fmt.Errorf("%q is not a Lambda function ARN (the stack's TriggerFunctionArn output)", c.ARN)
	case c.All == (len(c.Pools) > 0):
		return errors.New("name the pools (-pools) or ask for all of them (-all), not both")
	}
	for _, id := range c.Pools {
		if !policy.IsPoolID(id) {
			return fmt.Errorf("%q is not a user pool ID", id)
		}
	}
	return nil
}

type runner struct {
	api API
	cfg Config
}

// call makes one paced Cognito call, retrying it when AWS throttles.
func (r *runner) call(ctx context.Context, op quota.Op, pool string, fn func() error) error {
	return r.cfg.Backoff.Do(ctx, pace.IsThrottle, func() error {
		if err := r.cfg.Pacer.Wait(ctx, op, pool); err != nil {
			return err
		}
		err := fn()
		r.cfg.Pacer.Observe(op, err)
		return err
	})
}

func (r *runner) list(ctx context.Context) ([]string, error) {
	var ids []string
	var token *string
	for {
		var out *cip.ListUserPoolsOutput
		err := r.call(ctx, quota.ListUserPools, "", func() (err error) {
			out, err = r.api.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60), NextToken: token})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list the user pools: %w", err)
		}
		for _, p := range out.UserPools {
			ids = append(ids, aws.ToString(p.Id))
		}
		if aws.ToString(out.NextToken) == "" || aws.ToString(out.NextToken) == aws.ToString(token) {
			return ids, nil
		}
		token = out.NextToken
	}
}

// observed is a pool as DescribeUserPool answered: parsed by the SDK, and
// the raw UserPool object.
type observed struct {
	pool *types.UserPoolType
	raw  map[string]any
}

func (r *runner) describe(ctx context.Context, id string) (observed, error) {
	var out *cip.DescribeUserPoolOutput
	err := r.call(ctx, quota.DescribeUserPool, id, func() (err error) {
		out, err = r.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)}, WithRawBody)
		return err
	})
	if err != nil {
		return observed{}, fmt.Errorf("DescribeUserPool: %w", err)
	}
	body := RawBody(out.ResultMetadata)
	if body == nil || out.UserPool == nil {
		return observed{}, errors.New("DescribeUserPool: no raw answer to check the SDK's against")
	}
	var doc struct{ UserPool map[string]any }
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || doc.UserPool == nil {
		return observed{}, fmt.Errorf("DescribeUserPool: raw answer unreadable: %v", err)
	}
	if got := aws.ToString(out.UserPool.Id); got != id {
		return observed{}, fmt.Errorf("DescribeUserPool answered pool %q", got)
	}
	return observed{pool: out.UserPool, raw: doc.UserPool}, nil
}

// pool observes one pool, plans, and writes when it must and may.
func (r *runner) pool(ctx context.Context, id string) Result {
	res := Result{PoolID: id}
	before, err := r.describe(ctx, id)
	if err != nil {
		res.Outcome, res.Reason = Failed, err.Error()
		return res
	}
	res.Name = aws.ToString(before.pool.Name)
	res.Before = triggersOf(before.pool.LambdaConfig)
	res.After = res.Before
	want, refusal := Plan(r.cfg.Action, r.cfg.ARN, res.Before)
	if refusal == "" && r.cfg.Action == Attach {
		refusal = invokable(r.cfg.ARN, aws.ToString(before.pool.Arn))
	}
	switch {
	case refusal != "":
		res.Outcome, res.Reason = Refused, refusal
		return res
	case want == res.Before:
		res.Outcome = Unchanged
		return res
	}
	res.After = want
	in, omitted := UpdateInput(before.pool, want)
	if missing := Uncarried(before.raw, in, omitted); len(missing) > 0 {
		res.Outcome = Refused
		res.Reason = "UpdateUserPool would not write back " + strings.Join(missing, ", ")
		return res
	}
	if !r.cfg.Apply {
		res.Outcome = map[Action]Outcome{Attach: WouldAttach, Detach: WouldDetach}[r.cfg.Action]
		return res
	}
	if err := r.call(ctx, quota.UpdateUserPool, id, func() error {
		_, err := r.api.UpdateUserPool(ctx, in)
		return err
	}); err != nil {
		res.Outcome, res.Reason = Failed, "UpdateUserPool: "+err.Error()
		return res
	}
	after, err := r.describe(ctx, id)
	if err == nil {
		if got := triggersOf(after.pool.LambdaConfig); got != want {
			err = fmt.Errorf("the triggers read back are %+v", got)
		} else if changes := Changed(before.raw, after.raw, omitted); len(changes) > 0 {
			err = errors.New(strings.Join(changes, ", "))
		}
	}
	if err != nil {
		res.Outcome, res.Reason = Failed, "written, but the pool read back differs: "+err.Error()
		return res
	}
	res.Outcome = map[Action]Outcome{Attach: Attached, Detach: Detached}[r.cfg.Action]
	return res
}

func triggersOf(l *types.LambdaConfigType) Triggers {
	if l == nil {
		return Triggers{}
	}
	return Triggers{aws.ToString(l.PreAuthentication), aws.ToString(l.PostAuthentication)}
}

// Plan returns the triggers a pool is to have, or why it is refused:
// attaching never replaces another function's trigger, and detaching
// removes only arn's.
func Plan(action Action, arn string, now Triggers) (Triggers, string) {
	if action == Detach {
		next := now
		if next.PreAuthentication == arn {
			next.PreAuthentication = ""
		}
		if next.PostAuthentication == arn {
			next.PostAuthentication = ""
		}
		return next, ""
	}
	var others []string
	for _, t := range []struct{ name, fn string }{{"PreAuthentication", now.PreAuthentication}, {"PostAuthentication", now.PostAuthentication}} {
		if t.fn != "" && t.fn != arn {
			others = append(others, fmt.Sprintf("%s is another function's trigger (%s)", t.name, t.fn))
		}
	}
	if len(others) > 0 {
		return now, strings.Join(others, " and ") + ", not overwritten"
	}
	return Triggers{arn, arn}, ""
}

// invokable says why Cognito could not invoke function fn for pool (ARNs),
// or "": the stack's TriggerInvokePermission lets cognito-idp.amazonaws.com
// invoke it for the pools of its own account and Region only (SourceAccount,
// SourceArn userpool/*), and a PreAuthentication trigger Cognito cannot
// invoke fails every sign-in.
func invokable(fn, pool string) string {
	f, p := strings.Split(fn, ":"), strings.Split(pool, ":")
	if len(p) < 6 || p[2] != "cognito-idp" {
		return fmt.Sprintf("the pool's ARN (%q) does not say its account and Region", pool)
	}
	if f[1] != p[1] || f[3] != p[3] || f[4] != p[4] {
		return fmt.Sprintf("the function is in account %s, Region %s, the pool in account %s, Region %s: "+
			"the stack's permission lets Cognito invoke it for its own account and Region only, and sign-ins would fail", f[4], f[3], p[4], p[3])
	}
	return ""
}

// ReadOnly are the members of DescribeUserPool's answer that UpdateUserPool
// does not take, each with why (Cognito API reference: UserPoolType,
// UpdateUserPool). Id and Name are not here: they are written back as
// UserPoolId and PoolName.
var ReadOnly = map[string]string{
	"Arn":                       "reported by Cognito",
	"CreationDate":              "reported by Cognito",
	"LastModifiedDate":          "reported by Cognito",
	"EstimatedNumberOfUsers":    "reported by Cognito",
	"Status":                    "deprecated, reported by Cognito",
	"SmsConfigurationFailure":   "reported by Cognito",
	"EmailConfigurationFailure": "reported by Cognito",
	"SchemaAttributes":          "set at creation, extended by AddCustomAttributes",
	"AliasAttributes":           "set at creation only",
	"UsernameAttributes":        "set at creation only",
	"UsernameConfiguration":     "set at creation only",
	"Domain":                    "set by Create/UpdateUserPoolDomain",
	"CustomDomain":              "set by Create/UpdateUserPoolDomain",
}

// Paths of the change itself, which the request does not carry as read.
const (
	preAuthPath  = "LambdaConfig.PreAuthentication"
	postAuthPath = "LambdaConfig.PostAuthentication"
	unusedDays   = "AdminCreateUserConfig.UnusedAccountValidityDays"
)

// UpdateInput is the UpdateUserPool request that writes p back as it was
// read, with the triggers t. It returns too the paths of p it leaves out on
// purpose:
//
//   - MfaConfiguration is sent as read. UpdateUserPool cannot turn MFA ON
//     ("Cannot turn MFA functionality ON, once the user pool has been
//     created"), but the same level is no change; left out, it would fall to
//     AWS's "sets it to its default value" (OFF) as the API reference words
//     it, although go-to-k/cdkd #1965 measured AWS keeping it. A refusal
//     writes nothing; a reset lowers MFA in silence. SetUserPoolMfaConfig
//     stays the only call that changes MFA.
//   - AdminCreateUserConfig.UnusedAccountValidityDays ("no longer in use")
//     is left out when Policies.PasswordPolicy.TemporaryPasswordValidityDays
//     is set, which replaces it: AWS refuses the two together ("Please use
//     TemporaryPasswordValidityDays in PasswordPolicy instead of
//     UnusedAccountValidityDays"), although DescribeUserPool returns both.
func UpdateInput(p *types.UserPoolType, t Triggers) (*cip.UpdateUserPoolInput, []string) {
	omitted := []string{preAuthPath, postAuthPath}
	lambda := types.LambdaConfigType{}
	if p.LambdaConfig != nil {
		lambda = *p.LambdaConfig
	}
	lambda.PreAuthentication, lambda.PostAuthentication = optional(t.PreAuthentication), optional(t.PostAuthentication)
	admin := p.AdminCreateUserConfig
	if admin != nil && admin.UnusedAccountValidityDays != 0 && p.Policies != nil && p.Policies.PasswordPolicy != nil &&
		p.Policies.PasswordPolicy.TemporaryPasswordValidityDays != 0 {
		copied := *admin
		copied.UnusedAccountValidityDays = 0
		admin = &copied
		omitted = append(omitted, unusedDays)
	}
	return &cip.UpdateUserPoolInput{
		UserPoolId:                  p.Id,
		PoolName:                    p.Name,
		AccountRecoverySetting:      p.AccountRecoverySetting,
		AdminCreateUserConfig:       admin,
		AutoVerifiedAttributes:      p.AutoVerifiedAttributes,
		DeletionProtection:          p.DeletionProtection,
		DeviceConfiguration:         p.DeviceConfiguration,
		EmailConfiguration:          p.EmailConfiguration,
		EmailVerificationMessage:    p.EmailVerificationMessage,
		EmailVerificationSubject:    p.EmailVerificationSubject,
		IssuerConfiguration:         p.IssuerConfiguration,
		KeyConfiguration:            p.KeyConfiguration,
		LambdaConfig:                &lambda,
		MfaConfiguration:            p.MfaConfiguration,
		Policies:                    p.Policies,
		SmsAuthenticationMessage:    p.SmsAuthenticationMessage,
		SmsConfiguration:            unlessEmpty(p.SmsConfiguration),
		SmsVerificationMessage:      p.SmsVerificationMessage,
		UserAttributeUpdateSettings: p.UserAttributeUpdateSettings,
		UserPoolAddOns:              unlessEmpty(p.UserPoolAddOns),
		UserPoolTags:                p.UserPoolTags,
		UserPoolTier:                p.UserPoolTier,
		VerificationMessageTemplate: p.VerificationMessageTemplate,
	}, omitted
}

// unlessEmpty is nil for an empty SmsConfiguration or UserPoolAddOns, which
// UpdateUserPool refuses (SnsCallerArn or EumsSms, AdvancedSecurityMode
// required) and which means none.
func unlessEmpty[T types.SmsConfigurationType | types.UserPoolAddOnsType](v *T) *T {
	if v == nil || reflect.ValueOf(*v).IsZero() {
		return nil
	}
	return v
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Uncarried lists the members of raw, a DescribeUserPool UserPool object,
// that the request does not carry with the same value, other than ReadOnly
// and omitted: members this AWS SDK does not know (it would drop them),
// and any it would send otherwise. Empty: the request writes the pool back
// as it was read.
func Uncarried(raw map[string]any, in *cip.UpdateUserPoolInput, omitted []string) []string {
	var out []string
	v := reflect.ValueOf(in).Elem()
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if _, ok := ReadOnly[k]; ok {
			continue
		}
		name := map[string]string{"Id": "UserPoolId", "Name": "PoolName"}[k]
		if name == "" {
			name = k
		}
		carry(k, raw[k], member(v, name), omitted, &out)
	}
	return out
}

// member is v's exported field name, or the zero Value.
func member(v reflect.Value, name string) reflect.Value {
	if f, ok := v.Type().FieldByName(name); ok && f.IsExported() {
		return v.FieldByIndex(f.Index)
	}
	return reflect.Value{}
}

// carry compares a raw JSON value with the request's value v at path. The
// SDK's field names are the API's member names.
func carry(path string, raw any, v reflect.Value, omitted []string, out *[]string) {
	if raw == nil || slices.Contains(omitted, path) {
		return
	}
	if !v.IsValid() {
		*out = append(*out, path+" (unknown to this AWS SDK)")
		return
	}
	// The SDK leaves a zero number, a false boolean or an empty string out
	// of the request when its field is not a pointer.
	elided := true
	for v.Kind() == reflect.Pointer {
		if r, ok := raw.(map[string]any); ok && len(r) == 0 && v.IsNil() {
			return // an empty object is none
		}
		if v.IsNil() {
			*out = append(*out, path+" (not in the request)")
			return
		}
		v, elided = v.Elem(), false
	}
	differs := func() { *out = append(*out, path+" (differs)") }
	switch r := raw.(type) {
	case map[string]any:
		switch v.Kind() {
		case reflect.Struct:
			for _, k := range slices.Sorted(maps.Keys(r)) {
				carry(path+"."+k, r[k], member(v, k), omitted, out)
			}
		case reflect.Map:
			if v.Len() != len(r) {
				differs()
				return
			}
			for _, k := range slices.Sorted(maps.Keys(r)) {
				e := v.MapIndex(reflect.ValueOf(k))
				if !e.IsValid() {
					*out = append(*out, path+"."+k+" (not in the request)")
					continue
				}
				carry(path+"."+k, r[k], e, omitted, out)
			}
		default:
			differs()
		}
	case []any:
		if v.Kind() != reflect.Slice || v.Len() != len(r) {
			differs()
			return
		}
		for i := range r {
			carry(path+"["+strconv.Itoa(i)+"]", r[i], v.Index(i), omitted, out)
		}
	case string:
		if v.Kind() != reflect.String || v.String() != r {
			differs()
		}
	case bool:
		// A false the SDK leaves out is read by AWS as false.
		if v.Kind() != reflect.Bool || v.Bool() != r {
			differs()
		}
	case json.Number:
		n, err := r.Int64()
		switch {
		case err != nil || !v.CanInt() || v.Int() != n:
			differs()
		case elided && n == 0:
			*out = append(*out, path+" (0, which this AWS SDK leaves out of the request)")
		}
	default:
		differs()
	}
}

// Changed lists what differs between two raw DescribeUserPool UserPool
// objects, other than the dates, the user count and the omitted paths; an
// empty object or list, and false (what AWS reads for a boolean the SDK
// leaves out), are the same as none.
func Changed(before, after map[string]any, omitted []string) []string {
	skip := append([]string{"LastModifiedDate", "EstimatedNumberOfUsers"}, omitted...)
	var out []string
	diff("", before, after, skip, &out)
	return out
}

func diff(path string, a, b any, skip []string, out *[]string) {
	if slices.Contains(skip, path) || (empty(a) && empty(b)) {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if (aok || a == nil) && (bok || b == nil) {
		keys := slices.Sorted(maps.Keys(am))
		for _, k := range slices.Sorted(maps.Keys(bm)) {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			diff(p, am[k], bm[k], skip, out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s %s -> %s", path, compact(a), compact(b)))
	}
}

func empty(x any) bool {
	switch v := x.(type) {
	case nil:
		return true
	case bool:
		return !v
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

func compact(x any) string {
	if x == nil {
		return "(none)"
	}
	b, _ := json.Marshal(x) // decoded JSON: cannot fail
	return string(b)
}

// rawBodyKey holds a response's body in its result metadata.
type rawBodyKey struct{}

// WithRawBody keeps the body of a call's response in its result metadata
// (RawBody), so that a caller sees the members the SDK's model lacks.
func WithRawBody(o *cip.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("attachRawBody", keepBody), middleware.After)
	})
}

// keepBody runs next to the transport: it reads the body for the metadata
// and hands the SDK's deserializer a copy.
func keepBody(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.Body == nil {
		return out, md, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return out, md, fmt.Errorf("read the response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	md.Set(rawBodyKey{}, body)
	return out, md, nil
}

// RawBody is the response body WithRawBody kept; nil without it.
func RawBody(md middleware.Metadata) []byte {
	b, _ := md.Get(rawBodyKey{}).([]byte)
	return b
}

// Usage is the command's help text.
const Usage = `usage: attach (-attach ARN | -detach ARN) (-pools ID,ID... | -all) [-apply]

Attaches the enforcer's trigger (the stack's TriggerFunctionArn output) to
user pools as their PreAuthentication and PostAuthentication Lambda triggers,
or detaches it, in the account and Region of the AWS configuration
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...).

Each pool is read (DescribeUserPool) and written back whole (UpdateUserPool,
which resets whatever its request leaves out): only the two triggers change.
A pool is refused, and nothing written, when another function already is one
of the two triggers, or when its description holds a setting this tool
cannot write back as it was (named in the refusal). After a write the pool
is read again and compared with what it was.

Report mode by default: it prints what it would change and writes nothing.
-apply writes. A pool already as asked is "unchanged" and not written.
Calls are paced at 20% of Cognito's UserPoolRead and UserPoolUpdate quotas.

It does not grant Cognito the right to invoke the function: the stack's
TriggerInvokePermission (AWS::Lambda::Permission) already lets
cognito-idp.amazonaws.com invoke TriggerFunction for any user pool of the
stack's account and Region (SourceArn userpool/*). A pool of another account
or Region is refused: Cognito could not invoke the function, and its
sign-ins would fail.

Exit status: 0 when no pool was refused or failed, 1 otherwise, 2 on bad usage.

`

// Command runs the command line (args without the program's name) and
// returns its exit status. newAPI builds the Cognito client once the
// arguments are valid.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer, newAPI func(context.Context) (API, error)) int {
	fs := flag.NewFlagSet("attach", flag.ContinueOnError)
	fs.SetOutput(stderr)
	attachARN := fs.String("attach", "", "attach the trigger with this `ARN` (TriggerFunctionArn)")
	detachARN := fs.String("detach", "", "detach the trigger with this `ARN` where it is one of the two")
	pools := fs.String("pools", "", "the user pool `IDs`, comma-separated")
	all := fs.Bool("all", false, "every user pool of the account and Region")
	apply := fs.Bool("apply", false, "write (default: report only)")
	fs.Usage = func() {
		fmt.Fprint(stderr, Usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg := Config{All: *all, Apply: *apply, Backoff: pace.CheckBackoff}
	switch {
	case *attachARN != "" && *detachARN == "":
		cfg.Action, cfg.ARN = Attach, *attachARN
	case *detachARN != "" && *attachARN == "":
		cfg.Action, cfg.ARN = Detach, *detachARN
	default:
		fmt.Fprintln(stderr, "attach: give -attach ARN or -detach ARN")
		fs.Usage()
		return 2
	}
	for _, id := range strings.Split(*pools, ",") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(cfg.Pools, id) {
			cfg.Pools = append(cfg.Pools, id)
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "attach: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(stderr, "attach:", err)
		return 2
	}
	api, err := newAPI(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "attach:", err)
		return 1
	}
	sum, err := Run(ctx, api, cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "attach:", err)
		return 1
	}
	if sum.Problems() > 0 {
		return 1
	}
	return 0
}
