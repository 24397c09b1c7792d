package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fusedrelu/kernels/internal/entry"
)

func TestParseFlagsTune(t *testing.T) {
	c, err := parseFlags([]string{"-tune"}, amd64Paths, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The best path, f32 and f64, the standard shapes and no sweep.
	if !c.tune || !reflect.DeepEqual(c.paths, []string{"avx512"}) || !reflect.DeepEqual(c.dtypes, tuneDtypes) ||
		!reflect.DeepEqual(c.shapes, standardShapes) || c.sweep != nil || c.budget != 200*time.Millisecond {
		t.Errorf("-tune: %+v", c)
	}
	c, err = parseFlags([]string{"-tune", "-quick"}, amd64Paths, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.shapes, quickShapes) || c.sweep != nil || c.budget != 20*time.Millisecond || !reflect.DeepEqual(c.dtypes, tuneDtypes) {
		t.Errorf("-tune -quick: %+v", c)
	}
	// The flags given win: one path, the dtypes, a sweep, the time.
	c, err = parseFlags([]string{"-tune", "-quick", "-paths", "avx2", "-dtype", "f64,bf16", "-sweep", "128", "-shapes", "2x3x4", "-time", "1s", "-md", "-out", "t"}, amd64Paths, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := &config{shapes: []shape{{2, 3, 4}}, sweep: []int{128}, dtypes: []string{"f64", "bf16"}, paths: []string{"avx2"},
		threads: 1, budget: time.Second, memMiB: 64, quick: true, out: "t", md: true, tune: true}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	c, err = parseFlags([]string{"-tune"}, []string{"generic", "neon"}, io.Discard)
	if err != nil || !reflect.DeepEqual(c.paths, []string{"neon"}) {
		t.Errorf("-tune on arm64: %+v, %v", c, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-tune", "-paths", "avx512,avx2"}, "-tune compares the core classes on one path, and -paths names 2 (avx512, avx2)"},
		{[]string{"-tune", "-paths", "all"}, "-paths names 3"},
		{[]string{"-tune", "-plot", "x.png"}, "-plot draws the size sweep of the paths and peers, not -tune's classes"},
		{[]string{"-tune", "-shapes", "none"}, "leave nothing to measure"},
		{[]string{"-tune", "-dtype", "f16"}, `-dtype: "f16" is not one of`},
	} {
		if _, err := parseFlags(tc.args, amd64Paths, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// fakeEntries are the entries of the avx512 path's classes as today's
// table has them: zen4, intel-client, avx2 and unknown share the path's.
func fakeWorkers(calls *[]string) []classWorker {
	limits := func(g entry.GEMM, max4K int) entry.GEMM {
		g.SmallK, g.DirectMaxTiles, g.DirectMax4K, g.DirectMaxACols, g.DirectA, g.DirectB = 8, 16, max4K, 1024, true, "masked"
		return g
	}
	path := entry.Entry{ISA: "avx512",
		F32: limits(entry.GEMM{Tile: "16x16", MR: 16, NR: 16, MC: 256, KC: 1024, NC: 8192}, 16),
		F64: limits(entry.GEMM{Tile: "16x8", MR: 16, NR: 8, MC: 128, KC: 1024, NC: 8192}, 16), BF16Dot: true}
	server := path
	server.F32.Tile, server.F64.Tile, server.BF16Dot = "16x16u", "16x8u", false
	server.F32.DirectMax4K, server.F64.DirectMax4K = 1, 1
	zen5 := entry.Entry{ISA: "avx512",
		F32: limits(entry.GEMM{Tile: "8x32", MR: 8, NR: 32, MC: 336, KC: 768, NC: 8192}, 2),
		F64: limits(entry.GEMM{Tile: "8x16", MR: 8, NR: 16, MC: 168, KC: 768, NC: 8192}, 2), BF16Dot: true}
	zen5.F32.DirectMaxTiles, zen5.F64.DirectMaxTiles = 8, 8
	// GFLOPS by class: zen5 fastest at f32 fwd, the server tile at bwd.
	speed := map[string]float64{"zen4": 1, "zen5": 1.25, "intel-server": 1.1}
	var ws []classWorker
	for _, c := range []struct {
		class string
		e     entry.Entry
	}{{"zen4", path}, {"zen5", zen5}, {"intel-server", server}, {"intel-client", path}, {"avx2", path}, {"unknown", path}} {
		e := c.e
		e.Class = c.class
		ws = append(ws, classWorker{class: c.class, entry: e, measure: func(req request) reply {
			*calls = append(*calls, fmt.Sprintf("%s %s %s %s %v", req.Op, req.Dtype, req.Shape, c.class, req.Budget))
			if req.Shape.M == 9 && c.class == "zen5" {
				return reply{Err: "boom"}
			}
			f := speed[c.class]
			if req.Op == "bwd" && c.class == "intel-server" {
				f = 2
			}
			return reply{T: timing{Best: flops(req.Op, req.Shape) / (10 * f), Median: flops(req.Op, req.Shape) / (9 * f), Calls: 4}}
		}})
	}
	return ws
}

func TestGroupClasses(t *testing.T) {
	var calls []string
	ws := fakeWorkers(&calls)
	cs := groupClasses(ws, "intel-client")
	var got []string
	for _, c := range cs {
		got = append(got, fmt.Sprintf("%s=%s choice %v tile %s", c.Name, strings.Join(c.Classes, "+"), c.Choice, c.Entry.F32.Tile))
	}
	want := []string{"intel-client=intel-client+zen4+avx2+unknown choice true tile 16x16", "zen5=zen5 choice false tile 8x32", "intel-server=intel-server choice false tile 16x16u"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups %q\nwant   %q", got, want)
	}
	// The detected class's worker measures its group.
	cs[0].measure(request{Shape: shape{1, 1, 1}})
	if len(calls) != 1 || !strings.HasSuffix(calls[0], "intel-client 0s") {
		t.Errorf("the choice was measured by %q", calls)
	}
	if d := describeCandidate(cs[0]); d != "intel-client (= zen4, avx2, unknown), the table's choice: f32 16x16 MC=256 KC=1024 NC=8192, f64 16x8 MC=128 KC=1024 NC=8192; "+
		"rows route for K ≤ 8; A in place up to 1024 columns; B in place (masked) up to 16 row tiles, 16 when its rows are 4 KiB apart; bf16 on the VDPBF16PS tile" {
		t.Errorf("describeCandidate: %s", d)
	}
	if d := describeCandidate(cs[2]); !strings.HasSuffix(d, "; bf16 widened to f32") {
		t.Errorf("describeCandidate: %s", d)
	}
	// Entries that differ only in the bfloat16 route are two candidates.
	widened := cs[0].Entry
	widened.BF16Dot = false
	if sameEntry(cs[0].Entry, widened) {
		t.Errorf("sameEntry ignores BF16Dot")
	}
	for _, tc := range []struct {
		g    entry.GEMM
		want string
	}{
		{entry.GEMM{SmallK: 8, DirectB: "whole", DirectMaxTiles: 16, DirectMax4K: 16}, "rows route for K ≤ 8; A packed; B in place (whole tiles) up to 16 row tiles"},
		{entry.GEMM{SmallK: 4, DirectB: "none", DirectA: true, DirectMaxACols: 512}, "rows route for K ≤ 4; A in place up to 512 columns; B packed"},
		{entry.GEMM{MR: 16, RowsBelow: 5, SmallK: 8, DirectB: "none"}, "rows route below 5 rows or for K ≤ 8; A packed; B packed"},
		{entry.GEMM{MR: 16, RowsBelow: 3, SmallK: 8, PackedRowsBelow: 12, DirectB: "none"},
			"rows route below 3 rows or for K ≤ 8, over a PackedW's panels below 12 rows; A packed; B packed"},
		{entry.GEMM{SmallK: 8, DirectB: "masked", DirectMaxTiles: 16, DirectMax4K: 1, DirectMaxLd: 12 << 10},
			"rows route for K ≤ 8; A packed; B in place (masked) up to 16 row tiles, 1 when its rows are 4 KiB apart, none from 12 KiB"},
	} {
		if got := describeLimits(tc.g); got != tc.want {
			t.Errorf("describeLimits(%+v) = %q, want %q", tc.g, got, tc.want)
		}
	}
	// One entry for every class (avx2, neon): a single candidate.
	one := fakeWorkers(&calls)
	for i := range one {
		one[i].entry = ws[0].entry
	}
	if cs := groupClasses(one, "avx2"); len(cs) != 1 || cs[0].Name != "avx2" || len(cs[0].Classes) != 6 {
		t.Errorf("one entry: %+v", cs)
	}
}

// tuneMeasure interleaves the candidates round by round, in a rotating
// order, and keeps the best batch of the rounds.
func TestTuneMeasure(t *testing.T) {
	var calls []string
	cs := groupClasses(fakeWorkers(&calls), "intel-server")
	shapes := []shape{{2, 3, 4}, {9, 9, 9}}
	var steps int
	rs := tuneMeasure("avx512", cs, shapes, []string{"f32"}, 30*time.Millisecond, 3, 1, func(done, total int, label string, r *result) {
		if r != nil {
			steps++
		}
		if total != 2*2*1*3*3 {
			t.Errorf("total %d", total)
		}
	})
	if steps != 36 || len(calls) != 36 || len(rs) != 2*2*3 {
		t.Fatalf("%d steps, %d calls, %d results", steps, len(calls), len(rs))
	}
	if want := []string{
		"fwd f32 2x3x4 zen4 10ms", "fwd f32 2x3x4 zen5 10ms", "fwd f32 2x3x4 intel-server 10ms",
		"fwd f32 2x3x4 zen5 10ms", "fwd f32 2x3x4 intel-server 10ms", "fwd f32 2x3x4 zen4 10ms",
		"fwd f32 2x3x4 intel-server 10ms", "fwd f32 2x3x4 zen4 10ms", "fwd f32 2x3x4 zen5 10ms",
		"bwd f32 2x3x4 zen4 10ms",
	}; !reflect.DeepEqual(calls[:10], want) {
		t.Errorf("order %q\nwant  %q", calls[:10], want)
	}
	r := rs[0]
	if r.Impl != "avx512/zen4" || r.Op != "fwd" || r.Calls != 12 || r.GFLOPS != 10 || r.Best != 4.8 || r.Median != 48.0/9 {
		t.Errorf("first result %+v", r)
	}
	if r := rs[len(rs)-2]; r.Impl != "avx512/zen5" || r.Err != "boom" || r.GFLOPS != 0 {
		t.Errorf("failed result %+v", r)
	}
	if got := mergeRounds([]timing{{3, 5, 4}, {2, 9, 4}, {4, 4, 8}}); got != (timing{2, 5, 16}) {
		t.Errorf("mergeRounds = %+v", got)
	}
}

func TestTuneReport(t *testing.T) {
	var calls []string
	cs := groupClasses(fakeWorkers(&calls), "intel-server")
	shapes := []shape{{2, 3, 4}, {9, 9, 9}}
	rs := tuneMeasure("avx512", cs, shapes, []string{"f32", "f64"}, time.Millisecond, 1, 1, nil)

	rows := tuneTable(rs, "avx512", cs, "fwd", "f32", append(shapes, shape{5, 5, 5}), false)
	want := [][]string{
		{"M×K×N", "zen4 16x16", "zen5 8x32", "intel-server 16x16u (choice)", "best/choice"},
		{"2x3x4", "10.0 ", "12.5*", "11.0 ", "1.14"},
		{"9x9x9", "10.0 ", "error", "11.0*", "1.00"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("table %q\nwant  %q", rows, want)
	}
	var b bytes.Buffer
	writeTable(&b, rows, false)
	if got := b.String(); got != "M×K×N   zen4 16x16   zen5 8x32   intel-server 16x16u (choice)   best/choice\n"+
		"2x3x4        10.0        12.5*                          11.0           1.14\n"+
		"9x9x9        10.0        error                          11.0*          1.00\n" {
		t.Errorf("text table:\n%s", got)
	}
	rows = tuneTable(rs, "avx512", cs, "bwd", "f64", shapes, true)
	b.Reset()
	writeTable(&b, rows, true)
	if got := b.String(); got != "| M×K×N | zen4 16x8 | zen5 8x16 | intel-server 16x8u (choice) | best/choice |\n|---|---:|---:|---:|---:|\n"+
		"| 2x3x4 | 10.0 | 12.5 | **20.0** | 1.00 |\n| 9x9x9 | 10.0 | error | **20.0** | 1.00 |\n" {
		t.Errorf("markdown table:\n%s", got)
	}

	// f32: fwd 11/12.5 at 2x3x4, the choice best at 9x9x9 (zen5 failed),
	// and at both bwd shapes.
	if got, want := tuneSummary(rs, "avx512", cs, "f32", shapes), "f32: the table's choice (intel-server) at 0.969 of the best (geometric mean of choice ÷ best over 4 shapes and ops); "+
		"best most often: intel-server (3 of 4), then zen5 1"; got != want {
		t.Errorf("summary %q\nwant    %q", got, want)
	}
	// Without the choice's figures (its worker did not start).
	if got := tuneSummary(rs, "avx512", cs[:2], "f32", shapes); got != "f32: the table's choice has no figures; best most often: zen4 (2 of 4), then zen5 2" {
		t.Errorf("summary without the choice: %q", got)
	}

	b.Reset()
	writeTune(&b, rs, "avx512", cs, &config{dtypes: []string{"f32", "f64"}, budget: 200 * time.Millisecond}, shapes)
	for _, s := range []string{fmt.Sprintf("GFLOPS: the best batch of calls in 200ms, measured in %d rounds", tuneRounds), "\nf64, fused backward:", "\nf32: the table's choice (intel-server) at 0.969", "\nf64: the table's choice"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, b.String())
		}
	}

	// -out: the results as CSV rows (impl path/candidate) and the
	// candidates in the JSON.
	rep := &report{Threads: 1, Results: rs, Tune: &tuneInfo{Path: "avx512", Detected: "intel-server", Rounds: 1, Candidates: cs}}
	b.Reset()
	if err := writeCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(rs) || !reflect.DeepEqual(recs[1][:7], []string{"avx512/zen4", "fwd", "f32", "2", "3", "4", "1"}) || recs[1][10] != "10.000" {
		t.Errorf("CSV %q", recs[:2])
	}
	b.Reset()
	if err := writeJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Tune == nil || len(back.Tune.Candidates) != 3 || back.Tune.Candidates[2].Entry.F32.Tile != "16x16u" || !back.Tune.Candidates[2].Choice ||
		!reflect.DeepEqual(back.Tune.Candidates[0].Classes, []string{"zen4", "intel-client", "avx2", "unknown"}) {
		t.Errorf("JSON tune section: %+v", back.Tune)
	}
	if !strings.Contains(b.String(), `"tune"`) {
		t.Error("no tune section")
	}
	b.Reset()
	writeJSON(&b, sampleReport())
	if strings.Contains(b.String(), `"tune"`) {
		t.Error("a normal run's JSON has a tune section")
	}
}

// A worker reports the entry it runs.
func TestWorkerEntry(t *testing.T) {
	var out bytes.Buffer
	if err := workerMain(entry.Describe().ISA, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	var h hello
	if err := json.NewDecoder(&out).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Entry, entry.Describe()) || h.Entry.F32.Tile == "" || len(h.Entry.Classes) < 2 {
		t.Errorf("hello %+v", h)
	}
}
