// Package cognitofake is a fast in-process fake of the Cognito user pool
// JSON API, for tests and benchmarks that need thousands of pools, latency
// or throttling, which moto cannot give. Point an SDK client or a built
// function at it with AWS_ENDPOINT_URL.
package cognitofake

import (
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/fakes"

	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

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
}

type pool struct {
	id, name string
	tags     map[string]string
	mfa      MFA
	users    map[string]*User
}

// Server is the fake. Configure it before serving traffic.
type Server struct {
	Latency      time.Duration // added to every call
	ThrottleRate float64       // calls per second above which TooManyRequests is answered; 0: never
	ThrottleProb float64       // probability of TooManyRequests on any call
	// Fail answers every call naming one of these pools with this error type.
	Fail map[string]string

	mu      sync.Mutex
	pools   map[string]*pool
	order   []string
	seq     int
	tokens  float64
	last    time.Time
	calls   sync.Map // op -> *atomic.Int64
	throtld atomic.Int64
	ln      net.Listener
	srv     *http.Server
}

// New returns an empty fake.
func New() *Server {
	return &Server{pools: map[string]*pool{}}
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
func (s *Server) Calls(op string) int64 {
	if c, ok := s.calls.Load(op); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

// Throttled returns how many calls were answered with TooManyRequests.
func (s *Server) Throttled() int64 { return s.throtld.Load() }

// ResetCounters zeroes the call counters.
func (s *Server) ResetCounters() {
	s.calls.Range(func(k, _ any) bool { s.calls.Delete(k); return true })
	s.throtld.Store(0)
}

type apiError struct {
	status int
	typ    string
	msg    string
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	c, _ := s.calls.LoadOrStore(op, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	var in map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, apiError{400, "SerializationException", err.Error()})
		return
	}
	if s.throttle() {
		s.throtld.Add(1)
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

// throttle applies the token bucket (burst: one second's worth) and the
// random throttling.
func (s *Server) throttle() bool {
	if s.ThrottleProb > 0 && rand.Float64() < s.ThrottleProb {
		return true
	}
	if s.ThrottleRate <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.last.IsZero() {
		s.tokens = s.ThrottleRate
	} else {
		s.tokens = min(s.ThrottleRate, s.tokens+now.Sub(s.last).Seconds()*s.ThrottleRate)
	}
	s.last = now
	if s.tokens < 1 {
		return true
	}
	s.tokens--
	return false
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
	switch op {
	case "ListUserPools":
		return s.list(in)
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
		if msg := fakes.SetRefusal(m.MfaConfiguration, totp != nil, totp != nil && totp.Enabled, len(m.SmsMfaConfiguration) > 0, len(m.EmailMfaConfiguration) > 0); msg != "" {
			return nil, invalid(msg)
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
		return map[string]any{"UserPool": map[string]any{"Id": p.id, "Name": p.name, "MfaConfiguration": p.mfa.MfaConfiguration, "UserPoolTags": p.tags}}, nil
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

func (s *Server) adminGetUser(p *pool, id, username string) (any, *apiError) {
	if p == nil {
		return nil, notFound(id)
	}
	u := p.users[username]
	if u == nil {
		return nil, &apiError{400, "UserNotFoundException", "User does not exist."}
	}
	out := map[string]any{"Username": username, "UserStatus": "CONFIRMED", "Enabled": true, "UserMFASettingList": u.MFASettings}
	if u.Preferred != "" {
		out["PreferredMfaSetting"] = u.Preferred
	}
	return out, nil
}

// adminSetPreference reads missing booleans as false, as AWS does.
func (s *Server) adminSetPreference(p *pool, id, username string, in map[string]json.RawMessage) (any, *apiError) {
	if p == nil {
		return nil, notFound(id)
	}
	u := p.users[username]
	if u == nil {
		return nil, &apiError{400, "UserNotFoundException", "User does not exist."}
	}
	for field, factor := range map[string]string{"SMSMfaSettings": "SMS_MFA", "SoftwareTokenMfaSettings": "SOFTWARE_TOKEN_MFA", "EmailMfaSettings": "EMAIL_OTP"} {
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
	return map[string]any{}, nil
}

// Env points an SDK or a built function at the fake, with dummy credentials.
func (s *Server) Env() []string {
	return []string{"AWS_ENDPOINT_URL=http://" + s.ln.Addr().String(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
}
