package arm64

// The bfloat16 conversions for NEON (the Go wrappers are in bf16_asm.go
// and bf16_arm64.go; bf16.go says what a BF16 is), as for amd64
// (_gen/bf16.go): rounding to nearest even on the integer bits, NaN lanes
// made quiet, the top halves packed to 16 bits (UZP2 takes them, the odd
// halfwords, in order). The Armv8.6 BF16 extension's BFCVTN is not used:
// it is optional, and its rounding and handling of subnormals depend on
// FPCR, while the integer code gives BF16From's bits everywhere.

const bf16Header = `
The bfloat16 conversions: ToBF16 rounds on the integer bits of a
float32, x + 0x7FFF + (bit 16 of x), the top half kept (to nearest, ties
to even, the largest finite values carry into ±Inf); a NaN lane (FCMEQ
of x with itself false) takes x | 0x00400000, the quiet bit, instead.
FromBF16 puts each halfword in the top half of a zero word (ZIP).`

const bf16ToDoc = `
toBF16NEON is, for len(src) a multiple of 8 and len(dst) == len(src),

	for i, f := range src {
		dst[i] = uint16(BF16From(f))
	}

(see BF16From in bf16.go: to nearest even on the bits, NaN made quiet).`

// bf16To is toBF16NEON: two vectors of src (8 float32) a step, packed to
// one vector of dst (8 halfwords).
func bf16To(a *asm) {
	e := f32
	a.text("toBF16NEON(dst []uint16, src []float32)", bf16ToDoc)
	a.op("MOVD %s, R0", a.arg("dst_base"))
	a.op("MOVD %s, R1", a.arg("src_base"))
	a.op("MOVD %s, R2", a.arg("src_len"))
	a.op("CBZ R2, done")
	for _, c := range []struct {
		v    uint32
		r    int
		note string
	}{{1, 28, "1: the lowest kept bit"}, {0x7FFF, 29, "0x7FFF: the rounding bias"}, {0x00400000, 30, "the quiet bit of a NaN"}} {
		a.op("MOVW $0x%x, R3", c.v)
		a.opc(c.note, "VDUP R3, V%d.S4", c.r)
	}
	a.label("loop")
	a.opc("x: 8 float32 as bits", "VLD1.P 32(R1), [V0.S4, V1.S4]")
	for j := range 2 {
		x, t, ok, q := j, 2+j, 4+j, 6+j
		a.opc("t = x + 0x7FFF + (x>>16 & 1)", "VUSHR $16, V%d.S4, V%d.S4", x, t)
		a.op("VAND V28.B16, V%d.B16, V%d.B16", t, t)
		a.op("VADD V29.S4, V%d.S4, V%d.S4", t, t)
		a.op("VADD V%d.S4, V%d.S4, V%d.S4", x, t, t)
		a.word(e.fcmeq(ok, x, x), "all ones where x is not a NaN")
		a.opc("q = x | quiet bit", "VORR V30.B16, V%d.B16, V%d.B16", x, q)
		a.opc("NaN lanes: t = q", "VBIF V%d.B16, V%d.B16, V%d.B16", ok, q, t)
	}
	a.opc("the top halves of both, in order", "VUZP2 V3.H8, V2.H8, V8.H8")
	a.op("VST1.P [V8.H8], 16(R0)")
	a.op("SUBS $8, R2")
	a.op("BNE loop")
	a.label("done")
	a.op("RET")
}

const bf16FromDoc = `
fromBF16NEON is, for len(src) a multiple of 8 and len(dst) == len(src),

	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}`

// bf16From is fromBF16NEON: one vector of src (8 halfwords) a step,
// interleaved with zeros into two of dst.
func bf16From(a *asm) {
	a.text("fromBF16NEON(dst []float32, src []uint16)", bf16FromDoc)
	a.op("MOVD %s, R0", a.arg("dst_base"))
	a.op("MOVD %s, R1", a.arg("src_base"))
	a.op("MOVD %s, R2", a.arg("src_len"))
	a.op("CBZ R2, done")
	a.opc("zero halves", "VEOR V31.B16, V31.B16, V31.B16")
	a.label("loop")
	a.op("VLD1.P 16(R1), [V0.H8]")
	a.opc("(0, h) halfword pairs: h in the top half of each word", "VZIP1 V0.H8, V31.H8, V1.H8")
	a.op("VZIP2 V0.H8, V31.H8, V2.H8")
	a.op("VST1.P [V1.S4, V2.S4], 32(R0)")
	a.op("SUBS $8, R2")
	a.op("BNE loop")
	a.label("done")
	a.op("RET")
}

// genBF16 emits the conversions.
func genBF16(a *asm) {
	a.comment(bf16Header)
	bf16To(a)
	bf16From(a)
}

// FCMEQ Vd, Vn, Vm: each lane of Vd all ones where Vn = Vm, else zero
// (false where either is a NaN).
func (e elem) fcmeq(d, n, m int) inst { return e.three(0x4E20E400, "fcmeq", d, n, m) }
