// Package localinvoke serves the Lambda Runtime API to a compiled bootstrap,
// standing in for `sam local invoke` where the SAM CLI and Docker are absent.
package localinvoke

import (
	"cmp"
	"github.com/cognito-mfa-enforcer/cognito-mfa-enforcer/pkg/dev/logbuf"

	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const apiPrefix = "/2018-06-01/runtime/"

// FunctionError is the error a function reported for an invocation.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Result is one invocation's outcome: a payload, or the function's error.
type Result struct {
	Payload json.RawMessage
	Err     *FunctionError
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan Result
}

// Runtime runs one bootstrap process and feeds it invocations one at a time.
type Runtime struct {
	spec    FunctionSpec
	ln      net.Listener
	srv     *http.Server
	cmd     *exec.Cmd
	logs    *logbuf.Buffer
	next    chan *invocation
	mu      sync.Mutex
	pending map[string]*invocation
	deadErr *FunctionError // set once init failed or the process exited
	exited  chan struct{}
	seq     atomic.Int64
	invoke  sync.Mutex
}

// Start launches binary with the function's environment plus extra
// ("KEY=VALUE"; AWS credentials and AWS_ENDPOINT_URL, say). Like a Lambda
// sandbox, the process inherits nothing else but PATH and HOME.
func Start(binary string, spec FunctionSpec, extra []string, logSink io.Writer) (*Runtime, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Runtime{spec: spec, ln: ln, logs: &logbuf.Buffer{}, next: make(chan *invocation),
		pending: map[string]*invocation{}, exited: make(chan struct{})}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=" + spec.LogicalID,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(spec.Memory),
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"_HANDLER=bootstrap", "TZ=:UTC"}
	for k, v := range spec.Env {
		env = append(env, k+"="+v)
	}
	env = append(env, extra...)
	r.cmd = exec.Command(binary)
	r.cmd.Env = env
	var sink io.Writer = r.logs
	if logSink != nil {
		sink = io.MultiWriter(r.logs, logSink)
	}
	r.cmd.Stdout, r.cmd.Stderr = sink, sink
	if err := r.cmd.Start(); err != nil {
		_ = r.srv.Close()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	go func() {
		_ = r.cmd.Wait()
		close(r.exited)
		r.failPending(&FunctionError{Type: "Runtime.ExitError", Message: "bootstrap exited: " + r.cmd.ProcessState.String()})
	}()
	return r, nil
}

// Invoke sends one event and waits for the function's answer, up to the
// function's timeout. A returned error means the harness could not get an
// answer; the function's own error is in Result.Err.
func (r *Runtime) Invoke(ctx context.Context, event []byte) (Result, error) {
	r.invoke.Lock()
	defer r.invoke.Unlock()
	inv := &invocation{id: fmt.Sprintf("local-%08d", r.seq.Add(1)), payload: event,
		deadline: time.Now().Add(r.spec.Timeout), done: make(chan Result, 1)}
	r.mu.Lock()
	if r.deadErr != nil {
		r.mu.Unlock()
		return Result{Err: r.deadErr}, nil
	}
	r.pending[inv.id] = inv
	r.mu.Unlock()

	timeout := time.NewTimer(r.spec.Timeout + time.Second)
	defer timeout.Stop()
	select {
	case r.next <- inv:
	case res := <-inv.done:
		return res, nil
	case <-r.exited:
		return Result{Err: r.exitError()}, nil
	case <-timeout.C:
		return Result{}, fmt.Errorf("%s never asked for the next invocation: %s", r.spec.LogicalID, r.logs.String())
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case res := <-inv.done:
		return res, nil
	case <-timeout.C:
		_ = r.cmd.Process.Kill()
		return Result{Err: &FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("Task timed out after %s", r.spec.Timeout)}}, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Logs returns what the function printed so far.
func (r *Runtime) Logs() string { return r.logs.String() }

// LogsWhen returns the logs once they hold substr n times, or as they are
// after 10 s: the bootstrap's output reaches them through a pipe, which
// may deliver a line after the invocation's answer.
func (r *Runtime) LogsWhen(substr string, n int) string {
	for wait := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		logs := r.logs.String()
		if strings.Count(logs, substr) >= n || time.Now().After(wait) {
			return logs
		}
	}
}

// SetTimeout changes the function's timeout for the invocations that
// follow, so a test can bring the deadline close.
func (r *Runtime) SetTimeout(d time.Duration) {
	r.invoke.Lock()
	defer r.invoke.Unlock()
	r.spec.Timeout = d
}

// Close stops the process and the API server.
func (r *Runtime) Close() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
	}
	<-r.exited
	_ = r.srv.Close()
}

func (r *Runtime) exitError() *FunctionError {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.deadErr != nil {
		return r.deadErr
	}
	return &FunctionError{Type: "Runtime.ExitError", Message: "bootstrap exited: " + strings.TrimSpace(r.logs.String())}
}

func (r *Runtime) failPending(e *FunctionError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.deadErr == nil {
		r.deadErr = &FunctionError{Type: e.Type, Message: e.Message + ": " + strings.TrimSpace(r.logs.String())}
	}
	for id, inv := range r.pending {
		inv.done <- Result{Err: r.deadErr}
		delete(r.pending, id)
	}
}

func (r *Runtime) serve(w http.ResponseWriter, req *http.Request) {
	path, ok := strings.CutPrefix(req.URL.Path, apiPrefix)
	if !ok {
		http.NotFound(w, req)
		return
	}
	switch {
	case req.Method == http.MethodGet && path == "invocation/next":
		select {
		case inv := <-r.next:
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:"+cmp.Or(r.spec.Account, DefaultAccount)+":function:"+r.spec.LogicalID)
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(inv.payload)
		case <-req.Context().Done():
		}
	case req.Method == http.MethodPost && path == "init/error":
		fe := decodeError(req.Body)
		r.mu.Lock()
		r.deadErr = fe
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		r.mu.Lock()
		inv, found := r.pending[id]
		delete(r.pending, id)
		r.mu.Unlock()
		if !found {
			http.Error(w, `{"errorMessage":"unknown request ID","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		switch kind {
		case "response":
			body, _ := io.ReadAll(req.Body)
			inv.done <- Result{Payload: body}
		case "error":
			inv.done <- Result{Err: decodeError(req.Body)}
		default:
			http.NotFound(w, req)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, req)
	}
}

func decodeError(body io.Reader) *FunctionError {
	raw, _ := io.ReadAll(body)
	var fe FunctionError
	if err := json.Unmarshal(raw, &fe); err != nil || (fe.Message == "" && fe.Type == "") {
		return &FunctionError{Type: "Runtime.Unknown", Message: string(raw)}
	}
	return &fe
}
