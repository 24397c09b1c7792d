//go:build amd64 && gc && !purego

package kernels

import "testing"

// TestAVX512PackAK0: packing a block of K = 0 columns of A writes nothing
// and reads nothing, however many rows, even from an empty A (FuzzArgs
// found the packer slicing A's rows before it looked at kb).
func TestAVX512PackAK0(t *testing.T) {
	for _, mb := range []int{1, 16, 17, 48} {
		wantNoPanic(t, "packAAVX512F32 kb=0", func() { packAAVX512F32(nil, nil, 64, false, 0, 0, mb, 0, 16) })
		wantNoPanic(t, "packAAVX512F64 kb=0", func() { packAAVX512F64(nil, nil, 64, false, 0, 0, mb, 0, 16) })
	}
}
