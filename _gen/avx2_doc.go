package main

import (
	"fmt"
	"strings"
)

// The doc comments of the AVX2 tiles' Go declarations: the Go each
// routine replaces, for the tile's shape and type.

// docSubst replaces the placeholders of a doc template: NAME the
// routine, WHOLE and FWD the whole tile's GEMM and forward routines of
// the type, MR the rows, NR the columns, T the element type.
func (k avx2Tile) docSubst(name, s string) string {
	return strings.NewReplacer(
		"NAME", name,
		"WHOLE", "tileAVX2"+k.t.Name,
		"FWD", "tileFwdAVX2"+k.t.Name,
		"MR", fmt.Sprint(k.rows),
		"NR", fmt.Sprint(k.nr()),
		"PANEL", fmt.Sprint(k.panel),
		"TYPE", k.t.Go,
	).Replace(s)
}

func (k avx2Tile) docGEMM(name string) string {
	return k.docSubst(name, `NAME is, for mt ≥ 1 tiles down a column, len(a) == mt·MR·kc (their
micro-panels one after another), len(b) == (kc−1)·ldb+NR (ldb = NR for
a packed micro-panel, ldb ≥ NR for B where it lies), len(c) ==
(MR·mt−1)·ldc+NR and beta 0 or 1,

	for i := range MR * mt {
		for j := range NR {
			var v TYPE
			for p := range kc {
				v = fma(a[i/MR*MR*kc+p*MR+i%MR], b[p*ldb+j], v) // one rounding per step
			}
			if beta == 1 {
				v += c[i*ldc+j]
			}
			c[i*ldc+j] = v
		}
	}
`)
}

func (k avx2Tile) docTemp(name string) string {
	return k.docSubst(name, `NAME is WHOLE's product for the first MR of the panel's PANEL
rows into the temporary tile ab (len(ab) == `+fmt.Sprint(k.rows*k.nr())+`: MR rows of NR), with
beta = 0: the edge tile of 1 to MR rows, in MR/PANEL of a whole tile's
time, each element the same chain of multiply-adds as in WHOLE.
`)
}

func (k avx2Tile) docFwd(name string) string {
	w := k.nr() // bits of a row's chunk
	store := fmt.Sprintf("(*[%d]uint%d)(unsafe.Pointer(&bits[i*stride]))[shift/%d] = chunk", 64/w, w, w/8)
	if w == 8 {
		store = "(*[8]uint8)(unsafe.Pointer(&bits[i*stride]))[shift] = chunk"
	}
	return k.docSubst(name, `NAME is the forward epilogue of tile.finish on mt ≥ 1 whole
tiles down a column with α = 1: for len(a) == mt·MR·kc, len(b) ==
(kc−1)·ldb+NR (as WHOLE's), len(c) == (MR·mt−1)·ldc+NR, len(r) ==
(MR·mt−1)·ldr+NR, beta 0 or 1, len(bias) == NR or 0 (none), len(z) ==
(MR·mt−1)·ldz+NR or 0 (none), and len(bits) == (MR·mt−1)·stride+1 or 0
(none) with shift = (col%64)/8 for the tiles' first column col (a
multiple of NR),

	for i := range MR * mt {
		var chunk uint`+fmt.Sprint(w)+`
		for j := range NR {
			v := ab(i, j) // the sum of WHOLE
			if beta == 1 {
				v += c[i*ldc+j]
			}
			if len(bias) > 0 {
				v += bias[j]
			}
			if len(z) > 0 {
				z[i*ldz+j] = v
			}
			if !(v < 0) {
				chunk |= 1 << j
			}
			r[i*ldr+j] = relu(v)
		}
		if len(bits) > 0 {
			// bits 8·shift … of word i·stride: one `+fmt.Sprint(w)+`-bit store
			`+store+`
		}
	}

c is z or r (it is read before either is written). Every output is a
copy, a compare or a select of v, so it is bit for bit tile.finish's:
R is VMAXPS with +0 as Intel's first source (a NaN or −0 in v comes out
unchanged), the mask bit VCMPPS predicate 5, NLT_US (NaN → 1, −0 → 1).
`)
}

func (k avx2Tile) docRows(name string) string {
	return k.docSubst(name, `NAME is the epilogue of WHOLE and FWD on the
first m rows (1 ≤ m ≤ MR) of the tile, for the product ab (len(ab) ==
NR·m, row i at ab[NR*i:]) with the lengths of those functions for m
rows: when last == 0 the first loop of WHOLE without its sum,

	c[i*ldc+j] = ab[i*NR+j] (+ c[i*ldc+j] when beta == 1),

and when last == 1 the loop of FWD with v = ab[i*NR+j].
`)
}
