//go:build amd64 && gc && !purego

package kernels

// The elementwise kernels in assembly (elementwise_amd64.s); their Go
// wrappers, shared with arm64, are in elementwise_asm.go.

// The assembly functions. Each is the Go in its comment, for the lengths
// its comment gives; it reads the length of x, z or dr and trusts the
// other slices to be as long. The AVX-512 functions use AVX-512 F and DQ
// (KMOVB), the AVX2 ones AVX2.

// reluAVX512F32 is, for len(x) a multiple of 16 and len(dst) == len(x),
//
//	for i, v := range x {
//		if v < 0 {
//			v = 0
//		}
//		dst[i] = v
//	}
//
//go:noescape
func reluAVX512F32(dst, x []float32)

// reluAVX512F64 is reluAVX512F32 for float64, len(x) a multiple of 8.
//
//go:noescape
func reluAVX512F64(dst, x []float64)

// reluAVX2F32 is reluAVX512F32 with len(x) a multiple of 8.
//
//go:noescape
func reluAVX2F32(dst, x []float32)

// reluAVX2F64 is reluAVX512F32 for float64, len(x) a multiple of 4.
//
//go:noescape
func reluAVX2F64(dst, x []float64)

// stepMaskAVX512F32 is, for len(z) a multiple of 64 and len(bits) ==
// len(z)/64,
//
//	for w := range bits {
//		var word uint64
//		for j, v := range z[64*w : 64*w+64] {
//			if !(v < 0) {
//				word |= 1 << j
//			}
//		}
//		bits[w] = word
//	}
//
//go:noescape
func stepMaskAVX512F32(bits []uint64, z []float32)

// stepMaskAVX512F64 is stepMaskAVX512F32 for float64.
//
//go:noescape
func stepMaskAVX512F64(bits []uint64, z []float64)

// stepMaskAVX2F32 is stepMaskAVX512F32 in AVX2.
//
//go:noescape
func stepMaskAVX2F32(bits []uint64, z []float32)

// stepMaskAVX2F64 is stepMaskAVX512F32 for float64 in AVX2.
//
//go:noescape
func stepMaskAVX2F64(bits []uint64, z []float64)

// stepGradAVX512F32 is, for len(z) a multiple of 16 and len(dz) ==
// len(dr) == len(z),
//
//	for i, v := range z {
//		if v < 0 {
//			dz[i] = 0
//		} else {
//			dz[i] = dr[i]
//		}
//	}
//
//go:noescape
func stepGradAVX512F32(dz, dr, z []float32)

// stepGradAVX512F64 is stepGradAVX512F32 for float64, len(z) a multiple
// of 8.
//
//go:noescape
func stepGradAVX512F64(dz, dr, z []float64)

// stepGradAVX2F32 is stepGradAVX512F32 with len(z) a multiple of 8.
//
//go:noescape
func stepGradAVX2F32(dz, dr, z []float32)

// stepGradAVX2F64 is stepGradAVX512F32 for float64, len(z) a multiple
// of 4.
//
//go:noescape
func stepGradAVX2F64(dz, dr, z []float64)

// stepGradMaskAVX512F32 is, for len(dr) a multiple of 64, len(dz) ==
// len(dr) and len(bits) == len(dr)/64,
//
//	for i, v := range dr {
//		if bits[i/64]>>(i%64)&1 == 0 {
//			v = 0
//		}
//		dz[i] = v
//	}
//
//go:noescape
func stepGradMaskAVX512F32(dz, dr []float32, bits []uint64)

// stepGradMaskAVX512F64 is stepGradMaskAVX512F32 for float64.
//
//go:noescape
func stepGradMaskAVX512F64(dz, dr []float64, bits []uint64)

// stepGradMaskAVX2F32 is stepGradMaskAVX512F32 in AVX2.
//
//go:noescape
func stepGradMaskAVX2F32(dz, dr []float32, bits []uint64)

// stepGradMaskAVX2F64 is stepGradMaskAVX512F32 for float64 in AVX2.
//
//go:noescape
func stepGradMaskAVX2F64(dz, dr []float64, bits []uint64)

// adamAVX512F32 is, for len(p) a multiple of 16 and g, m, v at least as
// long, adamGeneric (optim.go) with k = b1, c1, b2, c2, corr, eps, step
// (β1, 1−β1, β2, 1−β2, Corr, ε, Step): for each i,
//
//	m[i] = T(b1·m[i]) + T(c1·g[i])
//	v[i] = T(b2·v[i]) + T(T(c2·g[i])·g[i])
//	p[i] -= T(step·m[i]) / T(T(√v[i]·corr) + eps)
//
//go:noescape
func adamAVX512F32(p, g, m, v []float32, b1, c1, b2, c2, corr, eps, step float32)

// adamAVX512F64 is adamAVX512F32 for float64 (len(p) a multiple of 8).
//
//go:noescape
func adamAVX512F64(p, g, m, v []float64, b1, c1, b2, c2, corr, eps, step float64)

// adamAVX2F32 is adamAVX512F32 in AVX2 (len(p) a multiple of 8).
//
//go:noescape
func adamAVX2F32(p, g, m, v []float32, b1, c1, b2, c2, corr, eps, step float32)

// adamAVX2F64 is adamAVX512F64 in AVX2 (len(p) a multiple of 4).
//
//go:noescape
func adamAVX2F64(p, g, m, v []float64, b1, c1, b2, c2, corr, eps, step float64)
