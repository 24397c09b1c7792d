package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avx512RowBases points R8, R9, R10, R11 at rows 0, 4, 8 and 12 of a block
// whose rows are DX bytes apart from R8, and R12 at 3·DX: the 16 rows of
// a block are then (base), (base)(DX*1), (base)(DX*2), (base)(R12*1).
func avx512RowBases() {
	LEAQ(memxs(RDX, RDX, 2, 0), R12)
	LEAQ(memxs(R8, RDX, 4, 0), R9)
	LEAQ(memxs(R9, RDX, 4, 0), R10)
	LEAQ(memxs(R10, RDX, 4, 0), R11)
}

// avx512Row4 is row r (0–3) below base of four rows ld apart (ld3 = 3·ld),
// off bytes into it.
func avx512Row4(base Register, off int, ld, ld3 Register, r int) Mem {
	return []Mem{
		mem(base, off),
		memxs(base, ld, 1, off),
		memxs(base, ld, 2, off),
		memxs(base, ld3, 1, off),
	}[r]
}

// avx512Transpose16 transposes the 16×16 float32 block in Z0–Z15 (row i in
// Zi) with Z16–Z31 as scratch; column j ends in avx512Col16(j).
func avx512Transpose16() {
	Comment(
		"Transpose the 16×16 float32 block in Z0–Z15 (row i in Zi) with",
		"Z16–Z31 as scratch, in four stages of shuffles: pairs of rows",
		"interleaved within 128-bit lanes (VUNPCKL/HPS), then pairs of pairs",
		"(VUNPCKL/HPD), so that lane l of U(g, j) holds column 4l+j of rows",
		"4g … 4g+3; then the lanes of one column gathered from the four groups",
		"(VSHUFF32X4: imm 0x88 takes lanes 0 and 2 of each source, 0xDD lanes 1",
		"and 3), twice. Column j ends in Z0, Z4, Z8, Z12, Z2, Z6, Z10, Z14, Z1,",
		"Z5, Z9, Z13, Z3, Z7, Z11, Z15 for j = 0 … 15.",
	)
	z := func(i int) VecPhysical { return zmm[i] }
	for i := 0; i < 8; i++ {
		VUNPCKLPS(z(2*i+1), z(2*i), z(16+2*i))
		VUNPCKHPS(z(2*i+1), z(2*i), z(17+2*i))
	}
	for g := 0; g < 4; g++ {
		for h := 0; h < 2; h++ {
			b := 16 + 4*g + h
			VUNPCKLPD(z(b+2), z(b), z(4*g+2*h))
			VUNPCKHPD(z(b+2), z(b), z(4*g+2*h+1))
		}
	}
	for j := 0; j < 4; j++ {
		for h := 0; h < 2; h++ {
			d := 16 + 4*j + 2*h
			VSHUFF32X4(U8(0x88), z(4+j+8*h), z(j+8*h), z(d))
			VSHUFF32X4(U8(0xDD), z(4+j+8*h), z(j+8*h), z(d+1))
		}
	}
	avx512Gather(VSHUFF32X4, 0, 16, 8)
}

// avx512Gather is a stage of 128-bit lane shuffles (shuf: VSHUFF32X4 or
// VSHUFF64X2) from the pairs of groups in Z(from)… into Z(to)…, n pairs:
// pair q takes Z(b) and Z(b+2), b = from + 4·(q/2) + q%2, imm 0x88 (lanes
// 0 and 2 of each source) into Z(to+2q) and 0xDD (lanes 1 and 3) into
// Z(to+2q+1).
func avx512Gather(shuf func(...Op), to, from, n int) {
	for q := 0; q < n; q++ {
		b := from + 4*(q/2) + q%2
		shuf(U8(0x88), zmm[b+2], zmm[b], zmm[to+2*q])
		shuf(U8(0xDD), zmm[b+2], zmm[b], zmm[to+2*q+1])
	}
}

// avx512Col16 is the register of column j after avx512Transpose16.
func avx512Col16(j int) VecPhysical {
	return zmm[4*(j%4)+2*(j/4%2)+j/8]
}

// avx512Transpose8x8 transposes the 8×8 float64 block in Z(r)…Z(r+7) (row
// i in Z(r+i)) into Z(s)…Z(s+7) with those as scratch: pairs of rows
// interleaved (VUNPCKL/HPD), then two stages of 128-bit lane shuffles
// (VSHUFF64X2). Column p ends in Z(s + 4·(p%2) + 2·(p/2%2) + p/4).
func avx512Transpose8x8(r, s int) {
	z := func(i int) VecPhysical { return zmm[i] }
	for i := 0; i < 4; i++ {
		VUNPCKLPD(z(r+2*i+1), z(r+2*i), z(s+2*i))
		VUNPCKHPD(z(r+2*i+1), z(r+2*i), z(s+2*i+1))
	}
	avx512Gather(VSHUFF64X2, r, s, 4)
	for q := 0; q < 4; q++ {
		VSHUFF64X2(U8(0x88), z(r+4+q), z(r+q), z(s+2*q))
		VSHUFF64X2(U8(0xDD), z(r+4+q), z(r+q), z(s+2*q+1))
	}
}

// avx512GenPackAPanel writes packAPanelAVX512<type>: a block of 16 rows
// of A, one zmm each, transposed in registers and stored as the steps of
// the micro-panel, 16 vectors of 64 bytes; with half,
// packAPanelHAVX512F32, the same of a bfloat16 A widened as it is loaded.
func avx512GenPackAPanel(t elemType, half bool) {
	fn := "packAPanelAVX512" + t.Name
	if half {
		fn = "packAPanelHAVX512" + t.Name
	}
	var out func(k int) VecPhysical // the register of the k-th 64 bytes of the panel
	var doc, comment []string
	switch t.Lanes(64) {
	case 16:
		elem := "a[i*lda+p]"
		if half {
			elem = "math.Float32frombits(uint32(a[i*lda+p]) << 16) // a bfloat16 widened"
		}
		cols := "kb columns (a multiple of 16):"
		if !half {
			cols = "kb columns (any number):"
		}
		doc = []string{
			fn + " packs one whole micro-panel of A, 16 rows lda apart,",
			cols,
			"",
			"\tfor p := range kb {",
			"\t\tfor i := range 16 {",
			"\t\t\tdst[p*16+i] = " + elem,
			"\t\t}",
			"\t}",
		}
		if !half {
			doc = append(doc, "", "It reads no element of a row past its kb columns.")
		}
		comment = []string{
			"A 16×16 block of A, read as 16 rows of 16 columns, is transposed in",
			"registers (64 shuffles) and stored as 16 steps of the micro-panel.",
		}
		if half {
			comment = append(comment, "Each row's 16 bfloat16 are widened as loaded: zero-extended to",
				"dwords and shifted into their top halves.")
		}
		out = avx512Col16
	case 8:
		doc = []string{
			fn + " is packAPanelAVX512F32 for float64.",
		}
		comment = []string{
			"A 16×8 block, as two 8×8 transposes (24 shuffles each) of rows 0–7",
			"and 8–15, each step of the micro-panel being 16 elements: the first",
			"transpose fills the low halves of steps 0–7, the second their high",
			"halves.",
		}
		out = func(k int) VecPhysical {
			p := k / 2
			return zmm[16+8*(k%2)+4*(p%2)+2*(p/2%2)+p/4]
		}
	default:
		panic("avx512: no A packer for this type")
	}
	sig, shift, step := fmt.Sprintf("func(dst, a []%s, lda, kb int)", t.Go), t.Shift, 64 // step: bytes of a row a block
	if half {
		if t.Lanes(64) != 16 {
			panic("avx512: bfloat16 widens to float32 only")
		}
		sig, shift, step = "func(dst []float32, a []uint16, lda, kb int)", 1, 32
	}
	textLines(fn, sig, doc...)
	Comment(comment...)
	MOVQ(argBase("dst"), RDI)
	MOVQ(argBase("a"), R8)
	MOVQ(arg("lda"), RDX)
	avx512Sh(shift, RDX)
	Comment("R8, R9, R10, R11: rows 0, 4, 8, 12; DX, R12 = lda, 3·lda in bytes.")
	avx512RowBases()
	lanes := t.Lanes(64)
	// block transposes the block of the 16 rows at R8 … R11 (under K1
	// when masked: its other columns read as zeros) into out(0 … 15).
	block := func(masked bool) {
		for i := 0; i < 16; i++ {
			row := avx512Row4([]Register{R8, R9, R10, R11}[i/4], 0, RDX, R12, i%4)
			switch {
			case half:
				widenBF16(row, zmm[i])
			case masked:
				t.MovUZ(row, K1, zmm[i])
			default:
				t.MovU(row, zmm[i])
			}
		}
		if lanes == 16 {
			avx512Transpose16()
		} else {
			avx512Transpose8x8(0, 16)
			avx512Transpose8x8(8, 24)
		}
	}
	MOVQ(arg("kb"), RCX)
	SHRQ(U8(log2(lanes)), RCX)
	JZ(LabelRef("tail"))

	Label("loop")
	block(false)
	for k := 0; k < 16; k++ {
		t.MovU(out(k), mem(RDI, 64*k))
	}
	for _, r := range []Register{R8, R9, R10, R11} {
		ADDQ(U32(step), r)
	}
	ADDQ(U32(1024), RDI)
	DECQ(RCX)
	JNZ(LabelRef("loop"))

	Label("tail")
	if !half {
		Comment(
			"The last kb mod "+fmt.Sprint(lanes)+" columns (a narrow A: a layer of 10 outputs' dZ,",
			"or its Wᵀ's 5 pairs) as one more block: each row read under K1 = its",
			"columns left (zeros in the others, and no byte past them read), then",
			"only that many steps of the panel stored, 64·"+fmt.Sprint(16/lanes)+" bytes a step.",
		)
		MOVQ(arg("kb"), RCX)
		ANDQ(U32(lanes-1), RCX)
		JZ(LabelRef("done"))
		MOVL(U32(1), EAX)
		SHLL(CL, EAX)
		DECL(EAX)
		KMOVW(EAX, K1)
		block(true)
		per := 16 / lanes // 64-byte stores a step
		for p := 0; p < lanes-1; p++ {
			for q := 0; q < per; q++ {
				t.MovU(out(p*per+q), mem(RDI, 64*(p*per+q)))
			}
			if p < lanes-2 {
				DECQ(RCX)
				JZ(LabelRef("done"))
			}
		}
	}

	Label("done")
	VZEROUPPER()
	RET()
}

// avx512GenTileNT writes tileNTAVX512F32: the tile of dX = dZ·Wᵀ read the
// other way round (dXᵀ = W·dZᵀ), W's rows as A where they lie, so that W
// is never transposed; the 16×16 result is transposed in registers and
// each of its rows stored as a row of dX.
func avx512GenTileNT(t elemType) {
	if t.Lanes(64) != 16 {
		panic("avx512: the NT tile is 16×16 float32")
	}
	textLines("tileNTAVX512"+t.Name, fmt.Sprintf("func(w []%[1]s, ldw int, b []%[1]s, kc int, c []%[1]s, ldc, m, n, beta int)", t.Go),
		"tileNTAVX512"+t.Name+" computes the 16×16 product of 16 rows of W where they",
		"lie (w[i*ldw+p], rows ldw apart) and a packed micro-panel of dZᵀ",
		"(b[p*16+j]), p < kc, and stores it transposed in C's first n rows and m",
		"columns (1 ≤ m, n ≤ 16; beta 0 or 1): a tile of dX = dZ·Wᵀ computed as",
		"dXᵀ = W·dZᵀ, so that W is never transposed. It is this Go, with fused",
		"multiply-adds:",
		"",
		"\tfor j := range n {",
		"\t\tfor i := range m {",
		"\t\t\tvar v "+t.Go,
		"\t\t\tfor p := range kc {",
		"\t\t\t\tv += w[i*ldw+p] * b[p*16+j]",
		"\t\t\t}",
		"\t\t\tif beta == 1 {",
		"\t\t\t\tv += c[j*ldc+i]",
		"\t\t\t}",
		"\t\t\tc[j*ldc+i] = v",
		"\t\t}",
		"\t}",
		"",
		"It reads all 16 rows of w (15·ldw+kc elements), whatever m.",
	)
	Comment(
		"Row i of the tile is row k0+i of W, broadcast a step at a time from its",
		"place (16 rows ldw apart, by 4 base registers and 1, 2 and 3 times ldw),",
		"times a packed step of dZᵀ (16 batch rows, one zmm).",
		"R8, R9, R10, R11: rows 0, 4, 8, 12 of W; DX, R12 = ldw, 3·ldw in",
		"bytes; BX = the packed dZᵀ.",
	)
	bases := []GPPhysical{R8, R9, R10, R11}
	MOVQ(argBase("w"), R8)
	MOVQ(arg("ldw"), RDX)
	avx512Sh(t.Shift, RDX)
	avx512RowBases()
	MOVQ(argBase("b"), RBX)
	for i := 0; i < 16; i++ {
		avx512ZeroZ(zmm[i])
	}
	MOVQ(arg("kc"), RCX)
	MOVQ(RCX, RAX)
	ANDQ(U8(3), RAX)
	SHRQ(U8(2), RCX)
	JZ(LabelRef("tail"))
	pcalign(32)

	// step is step s of the unrolled four: B's row at BX+64s into Z16,
	// then row i += W(i, p)·B(p, ·) for the 16 rows.
	step := func(s int) {
		t.MovU(mem(RBX, 64*s), Z16)
		avx512BcastRows(t, 16, bases, s*t.Size, RDX, R12, []VecPhysical{Z16}, func(i, _ int) VecPhysical { return zmm[i] }, nil)
	}
	Label("loop4")
	for s := 0; s < 4; s++ {
		step(s)
	}
	ADDQ(U32(256), RBX)
	for _, b := range bases {
		ADDQ(U32(4*t.Size), b)
	}
	DECQ(RCX)
	JNZ(LabelRef("loop4"))

	Label("tail")
	TESTQ(RAX, RAX)
	JZ(LabelRef("epilogue"))

	Label("loop1")
	step(0)
	ADDQ(U32(64), RBX)
	for _, b := range bases {
		ADDQ(U32(t.Size), b)
	}
	DECQ(RAX)
	JNZ(LabelRef("loop1"))

	Label("epilogue")
	avx512Transpose16()
	Comment(
		"DI = dX's row, SI = ldc in bytes, AX = the rows (n ≥ 1), K1 = the",
		"columns < m (m ≥ 1). dX row j = the tile's column j on the columns < m",
		"(with beta, plus the row of dX there, merge-masked); then on to the",
		"next row, or done after the last of n.",
	)
	MOVQ(argBase("c"), RDI)
	MOVQ(arg("ldc"), RSI)
	avx512Sh(t.Shift, RSI)
	MOVQ(arg("m"), RCX)
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K1)
	MOVQ(arg("n"), RAX)
	CMPQ(arg("beta"), U32(0))
	JNE(LabelRef("acc"))
	for _, beta1 := range []bool{false, true} {
		if beta1 {
			Label("acc")
		}
		for j := 0; j < 16; j++ {
			r := avx512Col16(j)
			if beta1 {
				t.Add(mem(RDI, 0), r, K1, r)
			}
			t.MovU(r, K1, mem(RDI, 0))
			DECQ(RAX)
			JZ(LabelRef("done"))
			ADDQ(RSI, RDI)
		}
		if !beta1 {
			JMP(LabelRef("done"))
		}
	}

	Label("done")
	VZEROUPPER()
	RET()
}

// avx512BcastRows is the FMAs of one k step from rows of A where they lie:
// for each of the mr rows, its value off bytes into the row broadcast
// (embedded broadcast, or broadcast into splat if not nil) times each of
// B's vectors bs into acc(i, j); rows 4q … 4q+3 at bases[q] and 1, 2, 3
// times ld from it (ld3 = 3·ld).
func avx512BcastRows(t elemType, mr int, bases []GPPhysical, off int, ld, ld3 Register, bs []VecPhysical, acc func(i, j int) VecPhysical, splat VecPhysical) {
	for i := 0; i < mr; i++ {
		avx512FMARow(t, avx512Row4(bases[i/4], off, ld, ld3, i%4), bs, func(j int) VecPhysical { return acc(i, j) }, splat)
	}
}

// avx512GenPackBRows writes packBRowsAVX512F32, which packs rows of B into
// micro-panels of one zmm a row (16 float32, or 8 float64: the Go of
// packBRowsAVX512F64 hands it the same bytes, as a copy moves bits), or,
// with half, packBRowsHAVX512F32, which packs rows of a bfloat16 B
// widened to float32 as it loads them: the same loops, 16 bfloat16 (32
// bytes) a vector of the panel.
func avx512GenPackBRows(half bool) {
	name, sig, ew := "packBRowsAVX512F32", "func(dst, b []float32, ldb, rows, nb, panel int)", 4
	fill := []string{"\t\t\tclear(out[copy(out, b[p*ldb+q*16:p*ldb+min(nb, q*16+16)]):])"}
	if half {
		name, sig, ew = "packBRowsHAVX512F32", "func(dst []float32, b []uint16, ldb, rows, nb, panel int)", 2
		fill = []string{
			"\t\t\tclear(out)",
			"\t\t\tfor j, h := range b[p*ldb+q*16 : p*ldb+min(nb, q*16+16)] {",
			"\t\t\t\tout[j] = math.Float32frombits(uint32(h) << 16) // a bfloat16 widened",
			"\t\t\t}",
		}
	}
	doc := []string{
		name + " packs rows of B into 16-column micro-panels, panel",
		"elements apart:",
		"",
		"\tfor p := range rows {",
		"\t\tfor q := 0; q*16 < nb; q++ {",
		"\t\t\tout := dst[q*panel+p*16 : q*panel+p*16+16]",
	}
	doc = append(append(doc, fill...), "\t\t}", "\t}")
	textLines(name, sig, doc...)
	if half {
		Comment(
			"As packBRowsAVX512F32, with each vector of B 16 bfloat16 words",
			"zero-extended to dwords and shifted into their top halves (a",
			"bfloat16 is the top half of its float32). The partial panel's",
			"columns are loaded by a masked word move, whose masked-off lanes",
			"cannot fault, then widened from the register.",
		)
	}
	// load loads 16 elements of B at m into Zi, under the mask k of its
	// columns (K2: all 16; nil: unmasked).
	load := func(m Mem, k Register, i int) {
		z := zmm[i]
		switch {
		case !half && k == nil:
			VMOVUPS(m, z)
		case !half:
			VMOVUPS_Z(m, k, z)
		case k == nil || k == K2:
			widenBF16(m, z)
		default:
			widenBF16Masked(m, k, ymm[i], z)
		}
	}
	vec := 16 * ew // bytes of B a vector of the panel
	Comment(
		"Each row of a micro-panel is one zmm, so row p of the block is loaded",
		"a vector at a time and stored into its panel, panel elements apart;",
		"the last, partial panel is loaded under the mask of its columns with",
		"the rest zeroed. It goes 8 rows at a time, across the panels: 8 lines",
		"of a panel stored in a row, each row read in order. Row by row, the",
		"stores of a row were panel elements apart (a multiple of 4 KiB when",
		"kc is a multiple of 64) and fought over one L1 set; a panel at a time",
		"down all the rows, the loads were ldb apart and the prefetchers lost",
		"them.",
		"R9 = the whole panels, K1 = the columns of the partial one, K2 all 16;",
		"DX, R11 = ldb, 3·ldb and R8 = panel, in bytes.",
	)
	MOVQ(argBase("dst"), RDI)
	MOVQ(argBase("b"), RSI)
	MOVQ(arg("ldb"), RDX)
	avx512Sh(ew/2, RDX)
	LEAQ(memxs(RDX, RDX, 2, 0), R11)
	MOVQ(arg("panel"), R8)
	avx512Sh(2, R8)
	avx512PanelMasks()
	MOVQ(arg("rows"), R10)

	// copy8 copies row R12 and the 7 below it (DX = ldb, R11 = 3·ldb),
	// 64 bytes each under the load mask k (zeroing the lanes it leaves
	// out), to the 8 rows of the micro-panel at R13. Clobbers BX, Z0–Z7.
	copy8 := func(k Register) {
		LEAQ(memxs(R12, RDX, 4, 0), RBX)
		for i := 0; i < 8; i++ {
			load(avx512Row4([]Register{R12, RBX}[i/4], 0, RDX, R11, i%4), k, i)
		}
		for i := 0; i < 8; i++ {
			VMOVUPS(zmm[i], mem(R13, 64*i))
		}
	}

	Label("group")
	Comment("Groups of 8 rows, a panel at a time.")
	CMPQ(R10, U32(8))
	JB(LabelRef("rows"))
	MOVQ(RSI, R12)
	MOVQ(RDI, R13)
	MOVQ(R9, RAX)
	TESTQ(RAX, RAX)
	JZ(LabelRef("gpartial"))

	Label("gpanel")
	copy8(K2)
	ADDQ(U32(vec), R12)
	ADDQ(R8, R13)
	DECQ(RAX)
	JNZ(LabelRef("gpanel"))

	Label("gpartial")
	KORTESTW(K1, K1)
	JZ(LabelRef("gnext"))
	copy8(K1)

	Label("gnext")
	LEAQ(memxs(RSI, RDX, 8, 0), RSI)
	ADDQ(U32(512), RDI)
	SUBQ(U32(8), R10)
	JMP(LabelRef("group"))

	Label("rows")
	Comment("The last rows (fewer than 8), one at a time across the panels.")
	TESTQ(R10, R10)
	JZ(LabelRef("done"))

	Label("row")
	MOVQ(RSI, R11)
	MOVQ(RDI, R12)
	MOVQ(R9, R13)
	CMPQ(R13, U32(4))
	JB(LabelRef("one"))

	Label("four")
	for i := 0; i < 4; i++ {
		load(mem(R11, vec*i), nil, i)
	}
	for i := 0; i < 4; i++ {
		VMOVUPS(zmm[i], mem(R12, 0))
		ADDQ(R8, R12)
	}
	ADDQ(U32(4*vec), R11)
	SUBQ(U32(4), R13)
	CMPQ(R13, U32(4))
	JAE(LabelRef("four"))

	Label("one")
	TESTQ(R13, R13)
	JZ(LabelRef("partial"))
	load(mem(R11, 0), nil, 0)
	VMOVUPS(Z0, mem(R12, 0))
	ADDQ(R8, R12)
	ADDQ(U32(vec), R11)
	DECQ(R13)
	JMP(LabelRef("one"))

	Label("partial")
	KORTESTW(K1, K1)
	JZ(LabelRef("next"))
	load(mem(R11, 0), K1, 0)
	VMOVUPS(Z0, mem(R12, 0))

	Label("next")
	ADDQ(RDX, RSI)
	ADDQ(U32(64), RDI)
	DECQ(R10)
	JNZ(LabelRef("row"))

	Label("done")
	VZEROUPPER()
	RET()
}

// avx512PanelMasks sets, for the packers of B into 16-column panels (the
// argument nb), R9 = the whole panels, K1 = the columns of the partial
// one and K2 all 16. Clobbers AX and CX.
func avx512PanelMasks() {
	MOVQ(arg("nb"), RCX)
	MOVQ(RCX, R9)
	SHRQ(U8(4), R9)
	ANDQ(U8(15), RCX)
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K1)
	KXNORW(K2, K2, K2)
}
