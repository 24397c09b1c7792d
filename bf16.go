package kernels

import "math"

// BF16 is a bfloat16 number: the top 16 bits of a float32, a sign bit, 8
// exponent bits and 7 fraction bits. It has float32's range (the same
// exponent, so no loss scaling when training) with 8 bits of precision
// instead of 24, and half the bytes. A BF16 widens to a float32 exactly,
// by a shift ([BF16.Float32], [FromBF16]); a float32 is rounded to it
// ([BF16From], [ToBF16]):
//
//   - to nearest, ties to even, on the bits: a float32 whose low 16 bits
//     are above 0x8000, or exactly 0x8000 with bit 16 set, rounds away
//     from zero;
//   - subnormals are rounded like every other value (no flush to zero);
//   - finite values from 0x7F7F8000 up (in magnitude) round to ±Inf;
//   - ±0 and ±Inf keep their sign;
//   - a NaN stays a NaN: the result keeps its sign and the top 7 bits of
//     its payload and is made quiet (bit 6 set), as a signalling NaN's
//     payload may lie in the low 16 bits only.
//
// Every code path gives these bits. (The AVX512_BF16 instruction
// VCVTNEPS2BF16 rounds the same way but flushes subnormal inputs to zero:
// where the AVX-512 path uses it, a vector with a subnormal lane is
// rounded on the integer bits instead.)
type BF16 uint16

// BF16From returns f rounded to the nearest bfloat16, ties to even (see
// [BF16]).
func BF16From(f float32) BF16 {
	b := math.Float32bits(f)
	if b&0x7FFFFFFF > 0x7F800000 { // NaN: keep it one, quiet
		return BF16(b>>16 | 0x40)
	}
	// Adding 0x7FFF rounds the low half up when it is above 0x8000; the
	// kept half's lowest bit makes a tie round to even. A carry runs into
	// the exponent, which is how the largest values become Inf.
	b += 0x7FFF + (b>>16)&1
	return BF16(b >> 16)
}

// Float32 returns h as a float32: exact, h in the top half.
func (h BF16) Float32() float32 { return math.Float32frombits(uint32(h) << 16) }

// ToBF16 sets dst[i] = BF16From(src[i]) for every i < len(src). dst and
// src may not overlap.
//
//	x := []float32{1, 1.00390625, 3.4e38, float32(math.Copysign(0, -1))}
//	h := make([]kernels.BF16, len(x))
//	kernels.ToBF16(h, x) // 1, 1 (a tie, to even), +Inf, −0
func ToBF16(dst []BF16, src []float32) {
	checkLen("dst", dst, "src", len(src))
	d, s := vecRegion("dst", dst, len(src)), vecRegion("src", src, len(src))
	checkDisjoint(&d, &s)
	if raceEnabled { // the kernel may be assembly, which the detector does not see
		raceRead(src)
		raceWrite(dst[:len(src)])
	}
	active.bf16.to(dst[:len(src)], src)
}

// FromBF16 sets dst[i] = src[i].Float32() for every i < len(src): exact.
// dst and src may not overlap.
func FromBF16(dst []float32, src []BF16) {
	checkLen("dst", dst, "src", len(src))
	d, s := vecRegion("dst", dst, len(src)), vecRegion("src", src, len(src))
	checkDisjoint(&d, &s)
	if raceEnabled {
		raceRead(src)
		raceWrite(dst[:len(src)])
	}
	active.bf16.from(dst[:len(src)], src)
}

// bf16Ops are the conversions of one code path (impl.bf16), len(dst) ==
// len(src). bf16PathOps (per architecture) gives them for a path's name.
type bf16Ops struct {
	to   func(dst []BF16, src []float32)
	from func(dst []float32, src []BF16)
}

var bf16Generic = bf16Ops{to: toBF16Generic, from: fromBF16Generic}

// toBF16Generic is ToBF16's loop: the reference of the assembly.
func toBF16Generic(dst []BF16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = BF16From(f)
	}
}

// fromBF16Generic is FromBF16's loop.
func fromBF16Generic(dst []float32, src []BF16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = h.Float32()
	}
}
