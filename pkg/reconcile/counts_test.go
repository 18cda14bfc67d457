package reconcile

import (
	"reflect"
	"testing"
)

// TestMergeAddsEveryCount: a count added to Counts cannot be left out of
// Merge, or a sweep's legs would lose it.
func TestMergeAddsEveryCount(t *testing.T) {
	var a, b Counts
	va, vb := reflect.ValueOf(&a).Elem(), reflect.ValueOf(&b).Elem()
	for i := range va.NumField() {
		va.Field(i).SetInt(int64(i + 1))
		vb.Field(i).SetInt(100)
	}
	a.Merge(b)
	for i := range va.NumField() {
		if got := va.Field(i).Int(); got != int64(i+101) {
			t.Errorf("%s: %d after merging, want %d", va.Type().Field(i).Name, got, i+101)
		}
	}
}
