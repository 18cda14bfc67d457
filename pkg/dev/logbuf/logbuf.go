// Package logbuf is a buffer that several goroutines may write at once:
// the output of a process (moto, a bootstrap) that a test reads.
package logbuf

import (
	"bytes"
	"sync"
)

// Buffer is safe for concurrent use. With Max > 0 it keeps at most about
// Max bytes and drops the rest, so a chatty process cannot fill memory.
type Buffer struct {
	Max int
	mu  sync.Mutex
	b   bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Max > 0 && l.b.Len() > l.Max {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
