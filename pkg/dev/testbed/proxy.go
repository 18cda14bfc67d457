package testbed

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Recorder is a proxy in front of moto that records every AWS call made
// through it, so a test can say which calls a function made and nothing
// else: point the function at Env instead of the server's.
type Recorder struct {
	srv   *httptest.Server
	m     *Moto
	mu    sync.Mutex
	calls []string
}

// Record starts a recording proxy; Close stops it.
func (m *Moto) Record() *Recorder {
	target, _ := url.Parse(m.Endpoint)
	r := &Recorder{m: m}
	proxy := httputil.NewSingleHostReverseProxy(target)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.calls = append(r.calls, operation(req))
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	return r
}

// operation names a call "service:Operation": the service from the
// signature's credential scope, the operation from the JSON protocols'
// X-Amz-Target or the query protocol's Action.
func operation(req *http.Request) string {
	service := "?"
	if _, scope, ok := strings.Cut(req.Header.Get("Authorization"), "Credential="); ok {
		if parts := strings.Split(scope, "/"); len(parts) > 3 {
			service = parts[3]
		}
	}
	op := req.Header.Get("X-Amz-Target")
	if _, after, ok := strings.Cut(op, "."); ok {
		op = after
	}
	if op == "" {
		_ = req.ParseForm()
		op = req.Form.Get("Action")
	}
	return service + ":" + op
}

// Env is moto's environment with the proxy as the endpoint.
func (r *Recorder) Env() []string {
	env := slices.Clone(r.m.Env())
	for i, kv := range env {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			env[i] = "AWS_ENDPOINT_URL=" + r.srv.URL
		}
	}
	return env
}

// Calls returns the calls recorded so far, in order.
func (r *Recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Close stops the proxy.
func (r *Recorder) Close() { r.srv.Close() }
