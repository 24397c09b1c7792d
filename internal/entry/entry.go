// Package entry describes the kernels' table entry in use (config.go:
// the register tiles, the cache blocking and the route limits of a code
// path as a core class configures it), which the public PathInfo gives
// only in part: it has no tile names (16x16 and 16x16u are both 16×16)
// and no route limits. The bench module's tuning report (bench -tune)
// reads it to tell the core classes' configurations apart and to label
// them. Package kernels sets Describe at init; nothing else should.
package entry

// Entry is the table entry in use.
type Entry struct {
	ISA      string   `json:"isa"`      // the code path in use (FUSEDRELU_ISA)
	Class    string   `json:"class"`    // the core class whose entry it is (FUSEDRELU_CORE overrides the detected one)
	Detected string   `json:"detected"` // this core's class, from cpuid, whatever FUSEDRELU_CORE says
	Classes  []string `json:"classes"`  // every class FUSEDRELU_CORE accepts
	F32      GEMM     `json:"f32"`
	F64      GEMM     `json:"f64"`
	// BF16Dot: the bfloat16 layers multiply on a VDPBF16PS tile of the
	// float32 tile's shape; false: they widen to float32 and run F32's.
	BF16Dot bool `json:"bf16_dot"`
}

// GEMM is the GEMM configuration of one element type.
type GEMM struct {
	Tile    string `json:"tile"` // the register tile's name: mr x nr, with a suffix for a variant (16x16u: B loaded unmasked)
	MR      int    `json:"mr"`
	NR      int    `json:"nr"`
	MC      int    `json:"mc"` // the cache blocking derived from the tile and this machine's caches
	KC      int    `json:"kc"`
	NC      int    `json:"nc"`
	DirectA bool   `json:"direct_a"` // the tile may read A in place
	DirectB string `json:"direct_b"` // whether the tile may read B in place: none, masked (any columns) or whole (whole tiles)
	// The route limits (route.go): the longest sum of the rows route,
	// the most row tiles whose B is read in place (and when its rows are
	// 4 KiB or more apart; and the distance in bytes from which it never
	// is, 0 for none), the widest job whose A is read in place, and the
	// rows below which a job takes the rows route (0: MR), and those
	// below which a job on a PackedW reads its panels a few rows at a
	// time rather than through the tiles (0: never).
	SmallK          int `json:"small_k"`
	DirectMaxTiles  int `json:"direct_max_tiles"`
	DirectMax4K     int `json:"direct_max_4k"`
	DirectMaxLd     int `json:"direct_max_ld,omitempty"`
	DirectMaxACols  int `json:"direct_max_a_cols"`
	RowsBelow       int `json:"rows_below,omitempty"`
	PackedRowsBelow int `json:"packed_rows_below,omitempty"`
}

// Describe returns the entry in use; package kernels sets it at init.
var Describe func() Entry
