//go:build arm64 && gc && !purego

package kernels

// The elementwise kernels in NEON assembly (elementwise_arm64.s): relu
// and stepGrad on blocks of 64 bytes (16 float32 or 8 float64, four
// 128-bit registers), stepMask and stepGradMask on blocks of 64
// elements, one mask word, with no tail code; their Go wrappers are in
// elementwise_asm.go.

// reluNEON32 is, for len(x) a multiple of 16 and len(dst) ≥ len(x):
//
//	for i, v := range x {
//		if v < 0 { // false for NaN: NaN and −0 pass through, bit for bit
//			v = 0
//		}
//		dst[i] = v
//	}
//
//go:noescape
func reluNEON32(dst, x []float32)

// reluNEON64 is reluNEON32 for float64, len(x) a multiple of 8.
//
//go:noescape
func reluNEON64(dst, x []float64)

// stepMaskNEON32 is, for len(z) a multiple of 64 and len(bits) ≥ len(z)/64:
//
//	for w := range len(z) / 64 {
//		var word uint64
//		for j, v := range z[w*64 : w*64+64] {
//			if !(v < 0) { // Step(NaN) = Step(−0) = 1
//				word |= 1 << j
//			}
//		}
//		bits[w] = word
//	}
//
//go:noescape
func stepMaskNEON32(bits []uint64, z []float32)

// stepMaskNEON64 is stepMaskNEON32 for float64.
//
//go:noescape
func stepMaskNEON64(bits []uint64, z []float64)

// stepGradNEON32 is, for len(z) a multiple of 16 and len(dz), len(dr) ≥ len(z):
//
//	for i, v := range z {
//		if v < 0 {
//			dz[i] = 0 // +0, whatever dr[i] is (a select, not a multiply)
//		} else {
//			dz[i] = dr[i]
//		}
//	}
//
//go:noescape
func stepGradNEON32(dz, dr, z []float32)

// stepGradNEON64 is stepGradNEON32 for float64, len(z) a multiple of 8.
//
//go:noescape
func stepGradNEON64(dz, dr, z []float64)

// stepGradMaskNEON32 is, for len(dr) a multiple of 64, len(dz) ≥ len(dr)
// and len(bits) ≥ len(dr)/64:
//
//	for i, v := range dr {
//		if bits[i/64]>>(i%64)&1 == 0 {
//			v = 0 // +0
//		}
//		dz[i] = v
//	}
//
//go:noescape
func stepGradMaskNEON32(dz, dr []float32, bits []uint64)

// stepGradMaskNEON64 is stepGradMaskNEON32 for float64.
//
//go:noescape
func stepGradMaskNEON64(dz, dr []float64, bits []uint64)

// adamNEON32 is, for len(p) a multiple of 4 and g, m, v at least as
// long, adamGeneric (optim.go) with k = b1, c1, b2, c2, corr, eps, step:
// for each i,
//
//	m[i] = T(b1·m[i]) + T(c1·g[i])
//	v[i] = T(b2·v[i]) + T(T(c2·g[i])·g[i])
//	p[i] -= T(step·m[i]) / T(T(√v[i]·corr) + eps)
//
//go:noescape
func adamNEON32(p, g, m, v []float32, b1, c1, b2, c2, corr, eps, step float32)

// adamNEON64 is adamNEON32 for float64, len(p) a multiple of 2.
//
//go:noescape
func adamNEON64(p, g, m, v []float64, b1, c1, b2, c2, corr, eps, step float64)
