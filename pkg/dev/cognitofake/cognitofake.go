// Package cognitofake is a fast in-process fake of the Cognito user pool
// JSON API, and of the Resource Groups Tagging API's GetResources over its
// pools, for tests and benchmarks that need thousands of pools, latency or
// throttling, which moto cannot give. Point an SDK client or a built
// function at it with AWS_ENDPOINT_URL.
package cognitofake

import (
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/quota"

	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Account is the account in the ARNs of the fake's pools.
const Account = "123456789012"

// category is an operation's request-rate quota category, from AWS's
// table (pkg/quota); each category is its own budget.
func category(op string) string {
	c, _ := quota.Of(quota.Op(op))
	return string(c)
}

// MFA is a pool's MFA configuration in Cognito's JSON shape.
type MFA struct {
	MfaConfiguration              string          `json:"MfaConfiguration"`
	SoftwareTokenMfaConfiguration *TOTP           `json:"SoftwareTokenMfaConfiguration,omitempty"`
	SmsMfaConfiguration           json.RawMessage `json:"SmsMfaConfiguration,omitempty"`
	EmailMfaConfiguration         json.RawMessage `json:"EmailMfaConfiguration,omitempty"`
	WebAuthnConfiguration         json.RawMessage `json:"WebAuthnConfiguration,omitempty"`
}

// TOTP is the software token block.
type TOTP struct {
	Enabled bool `json:"Enabled"`
}

// User is one user's MFA settings.
type User struct {
	MFASettings []string // SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP
	Preferred   string
	Sub         string // "": "sub-" and the user name
}

type pool struct {
	id, name     string
	tags         map[string]string
	mfa          MFA
	users        map[string]*User
	tier         string
	firstFactors []string
	// Threat protection and adaptive authentication: the mode, the app
	// clients, and the risk configurations set, by client ("" the pool's).
	threatProtection string
	clients          []string
	risks            map[string]json.RawMessage
}

// Server is the fake. Configure it before serving traffic.
type Server struct {
	Latency      time.Duration // added to every call
	ThrottleRate float64       // Cognito calls per second, all in one budget, above which TooManyRequests is answered; 0: never
	// Quotas caps the Cognito calls per second of each quota category
	// ("UserPoolRead", "UserPoolResourceRead", ... as pkg/quota names
	// them), each in its own budget as Cognito does; a category not listed
	// is not capped. PerPool caps each single operation of a category on
	// one pool. ThrottleByTable sets both from AWS's table.
	Quotas       map[string]float64
	PerPool      map[string]float64
	ThrottleProb float64 // probability of TooManyRequests on any Cognito call
	// Fail answers every call naming one of these pools with this error type.
	Fail map[string]string
	// FailOp answers every call of these operations ("GetResources") with
	// this error type ("AccessDeniedException").
	FailOp map[string]string
	// Provisioned is the account's provisioned limit by category where it
	// is not AWS's published default (GetProvisionedLimit).
	Provisioned map[string]int

	mu       sync.Mutex
	pools    map[string]*pool
	order    []string
	seq      int
	budgets  map[string]*budget     // by category; "" for ThrottleRate's; op/pool for PerPool's
	arrivals map[string][]time.Time // by category: when each call came
	perPool  map[[2]string]int64
	calls    sync.Map // op -> *atomic.Int64
	throtld  sync.Map // category -> *atomic.Int64
	throttle atomic.Int64
	ln       net.Listener
	srv      *http.Server
}

// budget is a token bucket holding at most one second's worth of calls.
type budget struct {
	tokens float64
	last   time.Time
}

// New returns an empty fake.
func New() *Server {
	return &Server{pools: map[string]*pool{}, budgets: map[string]*budget{}, perPool: map[[2]string]int64{}, arrivals: map[string][]time.Time{}}
}

// ThrottleByTable throttles every Cognito category at fraction of AWS's
// quota for it, and each operation on one pool at fraction of the per-pool
// limit where the table has one, as Cognito does at fraction 1.
func (s *Server) ThrottleByTable(fraction float64) {
	s.Quotas, s.PerPool = map[string]float64{}, map[string]float64{}
	for _, l := range quota.Table {
		if l.Service != "cognito-idp" {
			continue
		}
		s.Quotas[string(l.Category)] = l.RPS * fraction
		if l.PerPool > 0 {
			s.PerPool[string(l.Category)] = l.PerPool * fraction
		}
	}
}

// PeakPerSecond returns the most calls of a quota category (throttled ones
// included) that arrived within any one second.
func (s *Server) PeakPerSecond(category string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := slices.Clone(s.arrivals[category])
	slices.SortFunc(at, time.Time.Compare) // recorded as calls arrived, appended as they took the lock
	peak, first := 0, 0
	for i, t := range at {
		for t.Sub(at[first]) >= time.Second {
			first++
		}
		peak = max(peak, i-first+1)
	}
	return peak
}

// Start serves on 127.0.0.1 and a free port and returns the endpoint URL.
func (s *Server) Start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server.
func (s *Server) Close() {
	if s.srv != nil {
		_ = s.srv.Close()
	}
}

// AddPool creates a pool and returns its ID.
func (s *Server) AddPool(name string, tags map[string]string, mfa MFA) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("us-east-1_fake%06d", s.seq)
	if mfa.MfaConfiguration == "" {
		mfa.MfaConfiguration = "OFF"
	}
	s.pools[id] = &pool{id: id, name: name, tags: tags, mfa: mfa, users: map[string]*User{}}
	s.order = append(s.order, id)
	return id
}

// SetSignIn gives a pool a feature plan and the first sign-in factors its
// sign-in policy allows; a pool without them allows passwords only.
func (s *Server) SetSignIn(id, tier string, firstFactors ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pools[id].tier, s.pools[id].firstFactors = tier, firstFactors
}

// SetAdaptive gives a pool threat protection in mode, app clients, and the
// risk configurations set for the pool ("") or a client, each a
// RiskConfigurationType's JSON without its IDs.
func (s *Server) SetAdaptive(id, mode string, clients []string, risks map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pools[id]
	p.threatProtection, p.clients, p.risks = mode, clients, map[string]json.RawMessage{}
	for client, raw := range risks {
		p.risks[client] = json.RawMessage(raw)
	}
}

// Risk returns the risk configuration set for the pool ("") or a client.
func (s *Server) Risk(id, client string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.pools[id].risks[client]
	return string(raw), ok
}

// Tag replaces a pool's tags, as TagResource and UntagResource would.
func (s *Server) Tag(id string, tags map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pools[id].tags = tags
}

// Pool returns a pool's MFA configuration.
func (s *Server) Pool(id string) (MFA, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pools[id]
	if !ok {
		return MFA{}, false
	}
	return p.mfa, true
}

// AddUser adds a user to a pool.
func (s *Server) AddUser(poolID, username string, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := u
	s.pools[poolID].users[username] = &cp
}

// User returns a user's MFA settings.
func (s *Server) User(poolID, username string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pools[poolID]
	if !ok || p.users[username] == nil {
		return User{}, false
	}
	return *p.users[username], true
}

// Calls returns how many calls of op (e.g. "GetUserPoolMfaConfig") were
// answered, throttled ones included.
func (s *Server) Calls(op string) int64 { return load(&s.calls, op) }

// CallsIn returns how many calls of one quota category were answered,
// throttled ones included.
func (s *Server) CallsIn(cat string) int64 {
	var n int64
	s.calls.Range(func(op, c any) bool {
		if category(op.(string)) == cat {
			n += c.(*atomic.Int64).Load()
		}
		return true
	})
	return n
}

// PoolCalls returns how many calls of op named the pool id and reached it:
// neither throttled nor failed through FailOp or Fail.
func (s *Server) PoolCalls(op, id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perPool[[2]string{op, id}]
}

// Throttled returns how many calls were answered with TooManyRequests.
func (s *Server) Throttled() int64 { return s.throttle.Load() }

// ThrottledIn returns how many calls of one quota category were answered
// with TooManyRequests.
func (s *Server) ThrottledIn(category string) int64 { return load(&s.throtld, category) }

func load(m *sync.Map, k string) int64 {
	if c, ok := m.Load(k); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

func inc(m *sync.Map, k string) {
	c, _ := m.LoadOrStore(k, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

// ResetCounters zeroes the call counters.
func (s *Server) ResetCounters() {
	s.calls.Range(func(k, _ any) bool { s.calls.Delete(k); return true })
	s.throtld.Range(func(k, _ any) bool { s.throtld.Delete(k); return true })
	s.throttle.Store(0)
	s.mu.Lock()
	clear(s.perPool)
	clear(s.arrivals)
	s.mu.Unlock()
}

type apiError struct {
	status int
	typ    string
	msg    string
}

// taggingTarget prefixes the Resource Groups Tagging API's operations.
const taggingTarget = "ResourceGroupsTaggingAPI_20170126."

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now() // before the latency: quotas count calls as they arrive
	target := r.Header.Get("X-Amz-Target")
	tagging := strings.HasPrefix(target, taggingTarget)
	op := strings.TrimPrefix(strings.TrimPrefix(target, "AWSCognitoIdentityProviderService."), taggingTarget)
	// Calls counts operations: the SDK's own retry of one (after a dropped
	// connection under load, say) carries attempt=2 and is not another call.
	if !strings.HasPrefix(r.Header.Get("Amz-Sdk-Request"), "attempt=") || strings.HasPrefix(r.Header.Get("Amz-Sdk-Request"), "attempt=1;") {
		inc(&s.calls, op)
	}
	if s.Latency > 0 {
		// The latency is the request's way there: a caller that gives up on
		// the way leaves a request that never arrives.
		select {
		case <-time.After(s.Latency):
		case <-r.Context().Done():
			return
		}
	}
	var in map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, apiError{400, "SerializationException", err.Error()})
		return
	}
	if typ, ok := s.FailOp[op]; ok {
		writeErr(w, apiError{400, typ, "injected failure of " + op})
		return
	}
	// The tagging API has its own quota, which the fake does not model.
	if !tagging && s.throttled(category(op), op, str(in, "UserPoolId"), arrived) {
		s.throttle.Add(1)
		inc(&s.throtld, category(op))
		writeErr(w, apiError{400, "TooManyRequestsException", "Rate exceeded"})
		return
	}
	out, aerr := s.dispatch(op, in)
	if aerr != nil {
		writeErr(w, *aerr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func writeErr(w http.ResponseWriter, e apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.typ)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.typ, "message": e.msg})
}

// throttled records the call's arrival and applies the random throttling,
// ThrottleRate's budget, the category's own and the pool's for op, taking
// a token from each budget that has one.
func (s *Server) throttled(category, op, poolID string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arrivals[category] = append(s.arrivals[category], now)
	if s.ThrottleProb > 0 && rand.Float64() < s.ThrottleProb {
		return true
	}
	all := s.take("", s.ThrottleRate, now)
	own := s.take(category, s.Quotas[category], now)
	pool := true
	if poolID != "" {
		pool = s.take(op+"/"+poolID, s.PerPool[category], now)
	}
	return !all || !own || !pool
}

// take takes one token from a budget refilled at rate per second; a rate
// of 0 is no limit.
func (s *Server) take(name string, rate float64, now time.Time) bool {
	if rate <= 0 {
		return true
	}
	b := s.budgets[name]
	if b == nil {
		b = &budget{tokens: rate}
		s.budgets[name] = b
	} else {
		b.tokens = min(rate, b.tokens+max(now.Sub(b.last), 0).Seconds()*rate)
	}
	if now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func str(in map[string]json.RawMessage, k string) string {
	var v string
	_ = json.Unmarshal(in[k], &v)
	return v
}

func notFound(id string) *apiError {
	return &apiError{400, "ResourceNotFoundException", "User pool " + id + " does not exist."}
}

func invalid(msg string) *apiError { return &apiError{400, "InvalidParameterException", msg} }

func (s *Server) dispatch(op string, in map[string]json.RawMessage) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := str(in, "UserPoolId")
	if typ, ok := s.Fail[id]; ok {
		return nil, &apiError{400, typ, "injected failure"}
	}
	p := s.pools[id]
	if id != "" {
		s.perPool[[2]string{op, id}]++
	}
	switch op {
	case "ListUserPools":
		return s.list(in)
	case "GetResources":
		return s.resources(in)
	case "GetUserPoolMfaConfig":
		if p == nil {
			return nil, notFound(id)
		}
		return p.mfa, nil
	case "SetUserPoolMfaConfig":
		if p == nil {
			return nil, notFound(id)
		}
		var m MFA
		raw, _ := json.Marshal(in)
		_ = json.Unmarshal(raw, &m)
		totp := m.SoftwareTokenMfaConfiguration
		var webAuthn struct{ FactorConfiguration string }
		_ = json.Unmarshal(m.WebAuthnConfiguration, &webAuthn)
		req := fakes.SetRequest{Level: m.MfaConfiguration, TOTPBlock: totp != nil, TOTPEnabled: totp != nil && totp.Enabled,
			SMSBlock: len(m.SmsMfaConfiguration) > 0, EmailBlock: len(m.EmailMfaConfiguration) > 0, WebAuthnBlock: len(m.WebAuthnConfiguration) > 0,
			WebAuthnFactor: webAuthn.FactorConfiguration, FirstFactors: p.firstFactors, Tier: p.tier}
		if typ, msg := fakes.SetRefusal(req); typ != "" {
			return nil, &apiError{400, typ, msg}
		}
		if m.SoftwareTokenMfaConfiguration != nil && !m.SoftwareTokenMfaConfiguration.Enabled {
			m.SoftwareTokenMfaConfiguration = nil
		}
		p.mfa = m
		return m, nil
	case "DescribeUserPool":
		if p == nil {
			return nil, notFound(id)
		}
		out := map[string]any{"Id": p.id, "Name": p.name, "MfaConfiguration": p.mfa.MfaConfiguration, "UserPoolTags": p.tags}
		if p.tier != "" {
			out["UserPoolTier"] = p.tier
		}
		if p.firstFactors != nil {
			out["Policies"] = map[string]any{"SignInPolicy": map[string]any{"AllowedFirstAuthFactors": p.firstFactors}}
		}
		if p.threatProtection != "" {
			out["UserPoolAddOns"] = map[string]any{"AdvancedSecurityMode": p.threatProtection}
		}
		return map[string]any{"UserPool": out}, nil
	case "GetProvisionedLimit":
		var in2 struct {
			LimitDefinition struct{ Attributes map[string]string }
		}
		raw, _ := json.Marshal(in)
		_ = json.Unmarshal(raw, &in2)
		c := in2.LimitDefinition.Attributes["Category"]
		l, ok := quota.Lookup(quota.Category(c))
		if !ok {
			return nil, &apiError{400, "InvalidParameterException", "unknown category " + c}
		}
		v := int(l.RPS)
		if p, ok := s.Provisioned[c]; ok {
			v = p
		}
		return map[string]any{"Limit": map[string]any{"LimitDefinition": in["LimitDefinition"], "ProvisionedLimitValue": v, "FreeLimitValue": int(l.RPS)}}, nil
	case "ListUserPoolClients", "DescribeRiskConfiguration", "SetRiskConfiguration":
		if p == nil {
			return nil, notFound(id)
		}
		return p.adaptive(op, in)
	case "AdminGetUser":
		return s.adminGetUser(p, id, str(in, "Username"))
	case "AdminSetUserMFAPreference":
		return s.adminSetPreference(p, id, str(in, "Username"), in)
	}
	return nil, &apiError{400, "UnknownOperationException", "fake does not implement " + op}
}

func (s *Server) list(in map[string]json.RawMessage) (any, *apiError) {
	var max int
	_ = json.Unmarshal(in["MaxResults"], &max)
	if max < 1 || max > 60 {
		return nil, invalid("MaxResults must be between 1 and 60")
	}
	start := 0
	if tok := str(in, "NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil {
			return nil, invalid("bad NextToken")
		}
		start = n
	}
	ids := s.order // zero-padded sequence numbers: already in order
	out := map[string]any{}
	var page []map[string]any
	end := min(start+max, len(ids))
	for _, id := range ids[min(start, len(ids)):end] {
		page = append(page, map[string]any{"Id": id, "Name": s.pools[id].name, "LambdaConfig": map[string]any{}})
	}
	out["UserPools"] = page
	if end < len(ids) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}

// resources answers GetResources as AWS does for user pools: the pools
// that carry tags (every one of TagFilters' keys, with one of its values
// when it lists any), up to ResourcesPerPage (1 to 100, default 50) per page.
func (s *Server) resources(in map[string]json.RawMessage) (any, *apiError) {
	var types []string
	var filters []struct {
		Key    string
		Values []string
	}
	per := 50
	_ = json.Unmarshal(in["ResourceTypeFilters"], &types)
	_ = json.Unmarshal(in["TagFilters"], &filters)
	if raw, ok := in["ResourcesPerPage"]; ok {
		_ = json.Unmarshal(raw, &per)
	}
	if per < 1 || per > 100 {
		return nil, invalid("ResourcesPerPage must be between 1 and 100")
	}
	start := 0
	if tok := str(in, "PaginationToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil {
			return nil, invalid("bad PaginationToken")
		}
		start = n
	}
	matches := func(tags map[string]string) bool {
		for _, f := range filters {
			v, ok := tags[f.Key]
			if !ok || len(f.Values) > 0 && !slices.Contains(f.Values, v) {
				return false
			}
		}
		return len(tags) > 0
	}
	list := []map[string]any{}
	token := ""
	if len(types) == 0 || slices.Contains(types, "cognito-idp") || slices.Contains(types, "cognito-idp:userpool") {
		for i := min(start, len(s.order)); i < len(s.order); i++ {
			p := s.pools[s.order[i]]
			if !matches(p.tags) {
				continue
			}
			if len(list) == per {
				token = strconv.Itoa(i)
				break
			}
			tags := []map[string]string{}
			for k, v := range p.tags {
				tags = append(tags, map[string]string{"Key": k, "Value": v})
			}
			list = append(list, map[string]any{"ResourceARN": "arn:aws:cognito-idp:us-east-1:" + Account + ":userpool/" + p.id, "Tags": tags})
		}
	}
	return map[string]any{"ResourceTagMappingList": list, "PaginationToken": token}, nil
}

func (s *Server) adminGetUser(p *pool, id, username string) (any, *apiError) {
	if p == nil {
		return nil, notFound(id)
	}
	u := p.users[username]
	if u == nil {
		return nil, &apiError{400, "UserNotFoundException", "User does not exist."}
	}
	sub := u.Sub
	if sub == "" {
		sub = "sub-" + username
	}
	out := map[string]any{"Username": username, "UserStatus": "CONFIRMED", "Enabled": true, "UserMFASettingList": u.MFASettings,
		"UserAttributes": []map[string]string{{"Name": "sub", "Value": sub}}}
	if u.Preferred != "" {
		out["PreferredMfaSetting"] = u.Preferred
	}
	return out, nil
}

// adminSetPreference reads missing booleans as false, as AWS does, and
// keeps passkey MFA (WEB_AUTHN_MFA) only beside another factor.
func (s *Server) adminSetPreference(p *pool, id, username string, in map[string]json.RawMessage) (any, *apiError) {
	if p == nil {
		return nil, notFound(id)
	}
	current := p.users[username]
	if current == nil {
		return nil, &apiError{400, "UserNotFoundException", "User does not exist."}
	}
	u := &User{MFASettings: slices.Clone(current.MFASettings), Preferred: current.Preferred, Sub: current.Sub}
	for field, factor := range map[string]string{"SMSMfaSettings": "SMS_MFA", "SoftwareTokenMfaSettings": "SOFTWARE_TOKEN_MFA", "EmailMfaSettings": "EMAIL_OTP", "WebAuthnMfaSettings": passkeyMFA} {
		raw, ok := in[field]
		if !ok {
			continue
		}
		var st struct{ Enabled, PreferredMfa bool }
		_ = json.Unmarshal(raw, &st)
		has := false
		var list []string
		for _, f := range u.MFASettings {
			if f == factor {
				has = true
			} else {
				list = append(list, f)
			}
		}
		if st.Enabled {
			if !has && factor == "SOFTWARE_TOKEN_MFA" {
				return nil, invalid("User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA")
			}
			list = append(list, factor)
		}
		u.MFASettings = list
		if st.PreferredMfa {
			u.Preferred = factor
		} else if u.Preferred == factor {
			u.Preferred = ""
		}
	}
	if slices.Contains(u.MFASettings, passkeyMFA) && len(u.MFASettings) == 1 {
		// Cognito's words when passkey MFA would be a user's only factor.
		return nil, invalid("WebAuthn MFA requires enabling an additional MFA setting.")
	}
	*current = *u
	return map[string]any{}, nil
}

// passkeyMFA is how UserMFASettingList names passkey MFA.
const passkeyMFA = "WEB_AUTHN_MFA"

// Env points an SDK or a built function at the fake, with dummy credentials.
func (s *Server) Env() []string {
	return []string{"AWS_ENDPOINT_URL=http://" + s.ln.Addr().String(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
}

// adaptive answers the risk configuration calls as pkg/dev/fakes.Pools
// does (see its risk.go for the rules followed): one page of clients; a
// client's own configuration or, without one, the pool's without a
// ClientId; a write replaces, needs the Plus plan, and with only the IDs
// removes the configuration.
func (p *pool) adaptive(op string, in map[string]json.RawMessage) (any, *apiError) {
	client := str(in, "ClientId")
	switch op {
	case "ListUserPoolClients":
		var out []map[string]string
		for _, c := range p.clients {
			out = append(out, map[string]string{"ClientId": c, "UserPoolId": p.id})
		}
		return map[string]any{"UserPoolClients": out}, nil
	case "DescribeRiskConfiguration":
		conf := map[string]any{}
		raw, own := p.risks[client]
		if !own {
			raw, client = p.risks[""], ""
		}
		_ = json.Unmarshal(raw, &conf)
		conf["UserPoolId"] = p.id
		if client != "" {
			conf["ClientId"] = client
		}
		return map[string]any{"RiskConfiguration": conf}, nil
	}
	if p.tier != "PLUS" {
		return nil, &apiError{400, "FeatureUnavailableInTierException", "Threat protection requires the Plus feature plan"}
	}
	conf := map[string]json.RawMessage{}
	for _, k := range []string{"AccountTakeoverRiskConfiguration", "CompromisedCredentialsRiskConfiguration", "RiskExceptionConfiguration"} {
		if v, ok := in[k]; ok {
			conf[k] = v
		}
	}
	if len(conf) == 0 {
		delete(p.risks, client)
		return map[string]any{}, nil
	}
	raw, _ := json.Marshal(conf)
	if p.risks == nil {
		p.risks = map[string]json.RawMessage{}
	}
	p.risks[client] = raw
	return map[string]any{"RiskConfiguration": conf}, nil
}
