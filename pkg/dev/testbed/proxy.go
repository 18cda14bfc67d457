package testbed

import (
	"bytes"
	"io"
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
	hang  string        // "service:Operation" held until its caller gives up
	held  [2]string     // "service:Operation" and a text of its body: applied, its answer held
	stop  chan struct{} // closed by Close: held calls end
}

// Hang holds every call of op ("cognito-idp:AdminGetUser") until its
// caller gives up: a call that never answers.
func (r *Recorder) Hang(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hang = op
}

// HoldAnswer passes each call of op whose body contains text to moto,
// which applies it, and holds the answer until the caller gives up: a
// write Cognito accepted whose answer never came.
func (r *Recorder) HoldAnswer(op, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held = [2]string{op, text}
}

// Record starts a recording proxy; Close stops it.
func (m *Moto) Record() *Recorder {
	target, _ := url.Parse(m.Endpoint)
	r := &Recorder{m: m, stop: make(chan struct{})}
	proxy := httputil.NewSingleHostReverseProxy(target)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		op := operation(req)
		r.mu.Lock()
		r.calls = append(r.calls, op)
		hang, held := r.hang == op, r.held
		r.mu.Unlock()
		if held[0] == op {
			body, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
			if strings.Contains(string(body), held[1]) {
				proxy.ServeHTTP(httptest.NewRecorder(), req)
				hang = true
			}
		}
		if hang {
			select {
			case <-req.Context().Done():
			case <-r.stop:
			}
			return
		}
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

// Close stops the proxy, ending the calls it holds.
func (r *Recorder) Close() {
	close(r.stop)
	r.srv.Close()
}
