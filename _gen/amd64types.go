package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// elemType describes a floating-point element type for every amd64
// generator (the elementwise kernels, rows, dZ packing, the AVX2 and the
// AVX-512 GEMM): its size and the instructions whose form depends on it
// (the PS or PD variant and their kin), so that one Go function writes a
// routine for float32 and for float64. The lanes of a vector are
// t.Lanes(w.Bytes), or t.Lanes(32), t.Lanes(64) in the code of one width.
type elemType struct {
	Name  string // the suffix of the routines' names: "F32", "F64"
	Go    string // the Go type: "float32", "float64"
	Size  int    // bytes an element
	Shift int    // log2(Size)
	One   uint64 // the bits of 1.0

	MovU       func(ops ...Op)             // VMOVUPS, VMOVUPD
	MovUZ      func(mxyz, k, mxyz1 Op)     // VMOVUPS.Z, VMOVUPD.Z (zeroing under a K mask)
	MovNT      func(xyz, m Op)             // VMOVNTPS, VMOVNTPD (a streaming store, aligned)
	MovS       func(ops ...Op)             // VMOVSS, VMOVSD
	Broadcast  func(ops ...Op)             // VBROADCASTSS, VBROADCASTSD
	Add        func(ops ...Op)             // VADDPS, VADDPD
	AddS       func(ops ...Op)             // VADDSS, VADDSD
	Sub        func(ops ...Op)             // VSUBPS, VSUBPD
	Mul        func(ops ...Op)             // VMULPS, VMULPD
	Div        func(ops ...Op)             // VDIVPS, VDIVPD
	Sqrt       func(ops ...Op)             // VSQRTPS, VSQRTPD
	Max        func(ops ...Op)             // VMAXPS, VMAXPD
	FMA231     func(ops ...Op)             // VFMADD231PS, VFMADD231PD
	FMA231Bcst func(ops ...Op)             // VFMADD231PS.BCST, VFMADD231PD.BCST: B times an element broadcast from memory
	Cmp        func(ops ...Op)             // VCMPPS, VCMPPD
	Xor        func(ops ...Op)             // VXORPS, VXORPD
	MovMsk     func(xy, r Op)              // VMOVMSKPS, VMOVMSKPD
	MaskMov    func(mxy, xy, mxy1 Op)      // VMASKMOVPS, VMASKMOVPD
	PCmpEq     func(ops ...Op)             // VPCMPEQD, VPCMPEQQ: integer lanes of the element's width
	PBcst      func(ops ...Op)             // VPBROADCASTD, VPBROADCASTQ
	Scalar     func(r GPPhysical) Register // r at the element's width (EAX, RAX)
	MovGP      func(imr, mr Op)            // MOVL, MOVQ: an element through a general register

	// The K-register instructions for the mask of one zmm's lanes (16
	// bits for float32, 8 for float64; KMOVB, KANDB need AVX-512 DQ).
	KMov    func(kmr, kmr1 Op) // KMOVW, KMOVB
	KAnd    func(k, k1, k2 Op) // KANDW, KANDB
	KOrTest func(k, k1 Op)     // KORTESTW, KORTESTB
}

// Lanes is the number of elements in a vector of vecBytes bytes.
func (t elemType) Lanes(vecBytes int) int { return vecBytes / t.Size }

// Bits is the width of an element in bits (32, 64).
func (t elemType) Bits() int { return 8 * t.Size }

var (
	f32 = elemType{
		Name: "F32", Go: "float32", Size: 4, Shift: 2, One: 0x3f800000,
		MovU: VMOVUPS, MovUZ: VMOVUPS_Z, MovNT: VMOVNTPS, MovS: VMOVSS, Broadcast: VBROADCASTSS,
		Add: VADDPS, AddS: VADDSS, Sub: VSUBPS, Mul: VMULPS, Div: VDIVPS, Sqrt: VSQRTPS,
		Max: VMAXPS, FMA231: VFMADD231PS, FMA231Bcst: VFMADD231PS_BCST, Cmp: VCMPPS, Xor: VXORPS,
		MovMsk: VMOVMSKPS, MaskMov: VMASKMOVPS, PCmpEq: VPCMPEQD, PBcst: VPBROADCASTD,
		Scalar: func(r GPPhysical) Register { return r.As32() }, MovGP: MOVL,
		KMov: KMOVW, KAnd: KANDW, KOrTest: KORTESTW,
	}
	f64 = elemType{
		Name: "F64", Go: "float64", Size: 8, Shift: 3, One: 0x3ff0000000000000,
		MovU: VMOVUPD, MovUZ: VMOVUPD_Z, MovNT: VMOVNTPD, MovS: VMOVSD, Broadcast: VBROADCASTSD,
		Add: VADDPD, AddS: VADDSD, Sub: VSUBPD, Mul: VMULPD, Div: VDIVPD, Sqrt: VSQRTPD,
		Max: VMAXPD, FMA231: VFMADD231PD, FMA231Bcst: VFMADD231PD_BCST, Cmp: VCMPPD, Xor: VXORPD,
		MovMsk: VMOVMSKPD, MaskMov: VMASKMOVPD, PCmpEq: VPCMPEQQ, PBcst: VPBROADCASTQ,
		Scalar: func(r GPPhysical) Register { return r.As64() }, MovGP: MOVQ,
		KMov: KMOVB, KAnd: KANDB, KOrTest: KORTESTB,
	}
	elemTypes = []elemType{f32, f64}

	// bf16dot is the element type of the bfloat16 tiles: float32 for C,
	// the epilogue and everything but the product, whose k step is a pair
	// of bfloat16 values in a float32's 4 bytes (packed A: the pair of a
	// row; packed B: 16 columns' pairs a 64-byte vector), multiplied and
	// added into float32 by VDPBF16PS (dpbf16ps) in place of the FMA.
	bf16dot = func() elemType {
		t := f32
		t.Name = "BF16"
		t.FMA231 = func(ops ...Op) { dpbf16ps(ops[0], ops[1].(VecPhysical), ops[2].(VecPhysical)) }
		t.FMA231Bcst = t.FMA231
		return t
	}()
)
