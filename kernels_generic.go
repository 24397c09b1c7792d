package kernels

// The generic Go code: the reference for every kernel, and the path of
// builds without assembly. It has the structure the assembly paths share
// (see gemm.go), so that an assembly path replaces only the functions in
// its ops.

func genericOps[T Float]() ops[T] {
	return ops[T]{
		elementwise: elementwise[T]{
			relu:         reluGeneric[T],
			stepMask:     stepMaskGeneric[T],
			stepGrad:     stepGradGeneric[T],
			stepGradMask: stepGradMaskGeneric[T],
			adam:         adamGeneric[T],
		},
		gemmConfig: gemmConfig[T]{
			mr:        genericMR,
			nr:        genericNR,
			kernel:    kernelGeneric[T],
			calls:     callTile,
			limits:    defaultLimits,
			blocks:    blockSizes,
			packA:     packAGeneric[T],
			packB:     packBGeneric[T],
			packBRows: packBRowsGeneric[T],
		},
		rowsKernels: rowsKernels[T]{
			axpy: axpyGeneric[T],
			dot:  dotGeneric[T],
		},
	}
}

// relu is ReLU(x) = 0 if x < 0, x otherwise: NaN and −0 pass through
// unchanged, bit for bit.
func relu[T Float](x T) T {
	if x < 0 {
		return 0
	}
	return x
}

func reluGeneric[T Float](dst, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = relu(v)
	}
}

func stepMaskGeneric[T Float](bits []uint64, z []T) {
	for w := 0; w*64 < len(z); w++ {
		var word uint64
		for j, v := range z[w*64 : min(len(z), w*64+64)] {
			if !(v < 0) { // Step(NaN) = 1
				word |= 1 << j
			}
		}
		bits[w] = word
	}
}

func stepGradGeneric[T Float](dz, dr, z []T) {
	dz, dr = dz[:len(z)], dr[:len(z)]
	for i, v := range z {
		if v < 0 {
			dz[i] = 0
		} else {
			dz[i] = dr[i]
		}
	}
}

func stepGradMaskGeneric[T Float](dz, dr []T, bits []uint64) {
	dz = dz[:len(dr)]
	for i, v := range dr {
		if bits[i/64]>>(i%64)&1 == 0 {
			v = 0
		}
		dz[i] = v
	}
}

// The generic register tile. Go keeps scalars, not arrays, in registers,
// so the tile is spelled out as variables, and amd64 gives the compiler 15
// vector registers: 8 accumulators, 2 values of B and 1 of A at a time fit
// without spills, where a 4×4 tile spilled every accumulator to the stack
// in each step (go build -gcflags=-S) and ran at a third of the speed.
const (
	genericMR = 4
	genericNR = 2
)

// kernelGeneric is the generic microkernel: the 4×2 product of a packed
// micro-panel of A (t.kc steps of 4 rows) and one of B (t.kc steps of 2
// columns), then the tile's epilogue.
func kernelGeneric[T Float](t *tile[T]) {
	var c00, c01, c10, c11, c20, c21, c30, c31 T
	a, b := t.a[:genericMR*t.kc], t.b[:genericNR*t.kc]
	for p := range t.kc {
		ap := a[p*4 : p*4+4 : p*4+4]
		bp := b[p*2 : p*2+2 : p*2+2]
		b0, b1 := bp[0], bp[1]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		c30 += a3 * b0
		c31 += a3 * b1
	}
	acc := [genericMR * genericNR]T{c00, c01, c10, c11, c20, c21, c30, c31}
	t.finish(acc[:], genericNR)
}

// finish applies the tile's epilogue to the product ab of the tile's
// panels (row i of the tile at ab[i*ldab:]): C = α·AB + β·C on a GEMM or
// on a forward pass before its last K panel, and on the last panel of a
// forward pass Z = C + AB + bias, R = ReLU(Z) and the mask bits.
func (t *tile[T]) finish(ab []T, ldab int) {
	for i := 0; i < t.m; i++ {
		abRow := ab[i*ldab : i*ldab+t.n]
		c := t.c[i*t.ldc : i*t.ldc+t.n]
		var chunk uint64 // mask bits of the row, from the tile's first column
		for j, v := range abRow {
			if t.alpha != 1 {
				v *= t.alpha
			}
			switch t.beta {
			case 0:
			case 1:
				v = sumFirst(v, c[j])
			default:
				v = sumFirst(v, t.beta*c[j])
			}
			if !t.last {
				c[j] = v
				continue
			}
			if t.bias != nil {
				v = sumFirst(v, t.bias[j])
			}
			if t.z != nil {
				t.z[i*t.ldz+j] = v
			}
			t.r[i*t.ldr+j] = relu(v)
			if !(v < 0) { // Step(NaN) = 1
				chunk |= 1 << j
			}
		}
		if t.last && t.bits != nil {
			// Write the tile's nr bits of the row, zero past t.n.
			w := &t.bits[i*t.stride+t.col/64]
			sh := uint(t.col % 64)
			*w = *w&^(t.nrMask<<sh) | chunk<<sh
		}
	}
}

// sumFirst returns s + x, with s's NaN where s is a NaN on amd64
// (sumKeepsNaN): there the tiles add C and the bias to their sums with
// the sum as the first source (VADDPS x, s, s), and an SSE/AVX add keeps
// its first source's NaN whatever the other, while Go's + may take its
// operands in either order (the race detector's build did). s is never a
// signalling NaN here (a sum, or a product scaled by α), so returning it
// is what the add would. arm64's FADD prefers a signalling NaN, then its
// first operand: there the hardware's add decides, as in the NEON tiles.
func sumFirst[T Float](s, x T) T {
	if sumKeepsNaN && s != s {
		return s
	}
	return s + x
}

func axpyGeneric[T Float](dst []T, alpha T, x []T) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] += alpha * v
	}
}

func dotGeneric[T Float](x, y []T) T {
	y = y[:len(x)]
	var s T
	for i, v := range x {
		s += v * y[i]
	}
	return s
}
