//go:build onednn && cgo

package main

// oneDNN through cgo, built with -tags onednn; Debian's libdnnl-dev (2.x,
// the C API with operation descriptors) provides the library and dnnl.h.
// The operations are those of ../shared/peers: the forward pass a matmul
// with the bias and a ReLU post-op (R only: oneDNN has no mask output);
// the backward pass an eltwise ReLU backward (dZ from dR and Z), then
// inner-product backward data (dX) and weights with the bias (dW, db);
// the GEMM a plain matmul. bf16: X, W, R, dR, dZ and dX in bfloat16, the
// bias, dW and db in float32, as a mixed-precision step keeps them.
//
// Every buffer is oneDNN's own (DNNL_MEMORY_ALLOCATE): C may not keep Go
// pointers, and a primitive's memory objects hold theirs for its life.

/*
#cgo LDFLAGS: -ldnnl -lgomp
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void omp_set_num_threads(int); // libgomp, which Debian's libdnnl uses

enum { frFwd, frBwd, frGEMM };

// frDNNL is one operation's primitives and memory.
typedef struct {
	dnnl_engine_t eng;
	dnnl_stream_t st;
	dnnl_primitive_t p[3];
	int np, nargs[3];
	dnnl_exec_arg_t args[3][4];
	dnnl_memory_t mem[12];
	int nmem;
	dnnl_primitive_desc_t pd[8];
	int npd;
} frDNNL;

static void frFree(frDNNL *h) {
	if (h == NULL) return;
	for (int i = 0; i < h->np; i++) dnnl_primitive_destroy(h->p[i]);
	for (int i = 0; i < h->npd; i++) dnnl_primitive_desc_destroy(h->pd[i]);
	for (int i = 0; i < h->nmem; i++) dnnl_memory_destroy(h->mem[i]);
	if (h->st) dnnl_stream_destroy(h->st);
	if (h->eng) dnnl_engine_destroy(h->eng);
	free(h);
}

// frFill fills m with values in [−0.5, 0.5) from a linear congruential
// generator seeded with seed: float32, or for bf16 the upper halves of
// float32 values.
static void frFill(dnnl_memory_t m, long n, int bf16, unsigned seed) {
	void *p;
	if (dnnl_memory_get_data_handle(m, &p) != dnnl_success) return;
	for (long i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		float v = (float)(seed >> 8) / 16777216.0f - 0.5f;
		if (bf16) {
			unsigned u;
			memcpy(&u, &v, 4);
			((unsigned short *)p)[i] = (unsigned short)(u >> 16);
		} else {
			((float *)p)[i] = v;
		}
	}
}

#define FR_CHK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { snprintf(err, errlen, "%s: status %d", #x, (int)s_); frFree(h); return NULL; } } while (0)

static dnnl_memory_t frMem(frDNNL *h, const dnnl_memory_desc_t *d, long n, int bf16, unsigned seed, dnnl_status_t *s) {
	dnnl_memory_t m = NULL;
	*s = dnnl_memory_create(&m, d, h->eng, DNNL_MEMORY_ALLOCATE);
	if (*s != dnnl_success) return NULL;
	h->mem[h->nmem++] = m;
	if (seed) frFill(m, n, bf16, seed);
	return m;
}

static dnnl_status_t frMD(dnnl_memory_desc_t *d, int ndims, long a, long b, dnnl_data_type_t dt) {
	dnnl_dims_t dims = {a, b};
	return dnnl_memory_desc_init_by_tag(d, ndims, dims, dt, ndims == 1 ? dnnl_a : dnnl_ab);
}

// frNew builds op on M×K×N (bf16: mixed precision); NULL and a message
// in err on failure.
static frDNNL *frNew(int op, int bf16, long M, long K, long N, char *err, int errlen) {
	frDNNL *h = calloc(1, sizeof *h);
	if (h == NULL) { snprintf(err, errlen, "out of memory"); return NULL; }
	dnnl_data_type_t dt = bf16 ? dnnl_bf16 : dnnl_f32;
	dnnl_status_t s;
	FR_CHK(dnnl_engine_create(&h->eng, dnnl_cpu, 0));
	FR_CHK(dnnl_stream_create(&h->st, h->eng, dnnl_stream_default_flags));
	dnnl_memory_desc_t xd, wd, bd, dd;
	FR_CHK(frMD(&xd, 2, M, K, dt));
	FR_CHK(frMD(&dd, 2, M, N, dt));
	if (op == frFwd || op == frGEMM) {
		// dst = X·W (+ bias, ReLU): matmul, W K×N as the kernels take it.
		FR_CHK(frMD(&wd, 2, K, N, dt));
		FR_CHK(frMD(&bd, 2, 1, N, dnnl_f32));
		dnnl_matmul_desc_t md;
		FR_CHK(dnnl_matmul_desc_init(&md, &xd, &wd, op == frFwd ? &bd : NULL, &dd));
		dnnl_primitive_attr_t at = NULL;
		if (op == frFwd) {
			dnnl_post_ops_t po;
			FR_CHK(dnnl_post_ops_create(&po));
			s = dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_relu, 0.f, 0.f);
			if (s == dnnl_success) s = dnnl_primitive_attr_create(&at);
			if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(at, po);
			dnnl_post_ops_destroy(po);
			FR_CHK(s);
		}
		s = dnnl_primitive_desc_create(&h->pd[h->npd], &md, at, h->eng, NULL);
		if (at) dnnl_primitive_attr_destroy(at);
		FR_CHK(s);
		FR_CHK(dnnl_primitive_create(&h->p[0], h->pd[h->npd++]));
		h->np = 1;
		dnnl_exec_arg_t *a = h->args[0];
		a[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, frMem(h, &xd, M * K, bf16, 1, &s)}; FR_CHK(s);
		a[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, frMem(h, &wd, K * N, bf16, 2, &s)}; FR_CHK(s);
		a[2] = (dnnl_exec_arg_t){DNNL_ARG_DST, frMem(h, &dd, M * N, bf16, 0, &s)}; FR_CHK(s);
		h->nargs[0] = 3;
		if (op == frFwd) {
			a[3] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, frMem(h, &bd, N, 0, 3, &s)}; FR_CHK(s);
			h->nargs[0] = 4;
		}
		return h;
	}
	// The backward pass: oneDNN's inner product takes weights [out, in]
	// (N×K) and gives their gradient in float32.
	dnnl_memory_desc_t iw, idw, ib;
	FR_CHK(frMD(&iw, 2, N, K, dt));
	FR_CHK(frMD(&idw, 2, N, K, dnnl_f32));
	FR_CHK(frMD(&ib, 1, N, 0, dnnl_f32));
	dnnl_eltwise_desc_t efd, ebd;
	FR_CHK(dnnl_eltwise_forward_desc_init(&efd, dnnl_forward_training, dnnl_eltwise_relu, &dd, 0, 0));
	FR_CHK(dnnl_eltwise_backward_desc_init(&ebd, dnnl_eltwise_relu, &dd, &dd, 0, 0));
	dnnl_inner_product_desc_t ifd, ibd, iwd;
	FR_CHK(dnnl_inner_product_forward_desc_init(&ifd, dnnl_forward_training, &xd, &iw, &ib, &dd));
	FR_CHK(dnnl_inner_product_backward_data_desc_init(&ibd, &xd, &iw, &dd));
	FR_CHK(dnnl_inner_product_backward_weights_desc_init(&iwd, &xd, &idw, &ib, &dd));
	int ef = h->npd;
	FR_CHK(dnnl_primitive_desc_create(&h->pd[h->npd++], &efd, NULL, h->eng, NULL));
	int eb = h->npd;
	FR_CHK(dnnl_primitive_desc_create(&h->pd[h->npd++], &ebd, NULL, h->eng, h->pd[ef]));
	int iff = h->npd;
	FR_CHK(dnnl_primitive_desc_create(&h->pd[h->npd++], &ifd, NULL, h->eng, NULL));
	int ibb = h->npd;
	FR_CHK(dnnl_primitive_desc_create(&h->pd[h->npd++], &ibd, NULL, h->eng, h->pd[iff]));
	int iww = h->npd;
	FR_CHK(dnnl_primitive_desc_create(&h->pd[h->npd++], &iwd, NULL, h->eng, h->pd[iff]));
	FR_CHK(dnnl_primitive_create(&h->p[0], h->pd[eb]));
	h->np = 1;
	FR_CHK(dnnl_primitive_create(&h->p[1], h->pd[ibb]));
	h->np = 2;
	FR_CHK(dnnl_primitive_create(&h->p[2], h->pd[iww]));
	h->np = 3;
	dnnl_memory_t x = frMem(h, &xd, M * K, bf16, 1, &s); FR_CHK(s);
	dnnl_memory_t z = frMem(h, &dd, M * N, bf16, 4, &s); FR_CHK(s);
	dnnl_memory_t dr = frMem(h, &dd, M * N, bf16, 5, &s); FR_CHK(s);
	dnnl_memory_t dz = frMem(h, &dd, M * N, bf16, 0, &s); FR_CHK(s);
	dnnl_memory_t w = frMem(h, &iw, N * K, bf16, 2, &s); FR_CHK(s);
	dnnl_memory_t dx = frMem(h, &xd, M * K, bf16, 0, &s); FR_CHK(s);
	dnnl_memory_t dw = frMem(h, &idw, N * K, 0, 0, &s); FR_CHK(s);
	dnnl_memory_t db = frMem(h, &ib, N, 0, 0, &s); FR_CHK(s);
	dnnl_exec_arg_t *a = h->args[0];
	a[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, z};
	a[1] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, dr};
	a[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, dz};
	h->nargs[0] = 3;
	a = h->args[1];
	a[0] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, dz};
	a[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, w};
	a[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, dx};
	h->nargs[1] = 3;
	a = h->args[2];
	a[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, x};
	a[1] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, dz};
	a[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS, dw};
	a[3] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, db};
	h->nargs[2] = 4;
	return h;
}

// frRun runs h's operation once, to its end.
static dnnl_status_t frRun(frDNNL *h) {
	for (int i = 0; i < h->np; i++) {
		dnnl_status_t s = dnnl_primitive_execute(h->p[i], h->st, h->nargs[i], h->args[i]);
		if (s != dnnl_success) return s;
	}
	return dnnl_stream_wait(h->st);
}

static const char *frVersion(void) {
	static char buf[64];
	const dnnl_version_t *v = dnnl_version();
	snprintf(buf, sizeof buf, "%d.%d.%d (%s)", v->major, v->minor, v->patch, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other runtime");
	return buf;
}
*/
import "C"

import (
	"fmt"
	"runtime"
)

const haveOneDNN = true

// onednnNThreads is oneDNN's thread count (onednnThreads).
var onednnNThreads = 1

// measureOneDNN measures oneDNN's primitives for req (fwd, bwd, gemm in
// f32; fwd, bwd in bf16), built on oneDNN's own buffers.
func measureOneDNN(req request) reply {
	op := map[string]C.int{"fwd": C.frFwd, "bwd": C.frBwd, "gemm": C.frGEMM}
	o, ok := op[req.Op]
	if !ok || req.Dtype != "f32" && req.Dtype != "bf16" || req.Dtype == "bf16" && req.Op == "gemm" {
		return reply{Err: fmt.Sprintf("no oneDNN %s %s here", req.Dtype, req.Op)}
	}
	var bf16 C.int
	if req.Dtype == "bf16" {
		bf16 = 1
	}
	// OpenMP's thread count is the calling thread's own setting, and
	// each OS thread that calls oneDNN gets its own team: one OS thread
	// for the whole measurement, set to the count asked for, so that no
	// other thread's team (of the default count, one a CPU) runs it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	C.omp_set_num_threads(C.int(onednnNThreads))
	var msg [256]C.char
	h := C.frNew(o, bf16, C.long(req.Shape.M), C.long(req.Shape.K), C.long(req.Shape.N), &msg[0], C.int(len(msg)))
	if h == nil {
		return reply{Err: "oneDNN: " + C.GoString(&msg[0])}
	}
	defer C.frFree(h)
	var status C.dnnl_status_t
	t := timeIt(req.Budget, func() {
		if s := C.frRun(h); s != C.dnnl_success {
			status = s
		}
	})
	if status != C.dnnl_success {
		return reply{Err: fmt.Sprintf("oneDNN: execute: status %d", int(status))}
	}
	return reply{T: t}
}

// onednnThreads sets the thread count of oneDNN's measurements (its
// OpenMP runtime's, set on the thread that measures).
func onednnThreads(n int) { onednnNThreads = n }

// onednnVersion is oneDNN's version and threading runtime.
func onednnVersion() string { return C.GoString(C.frVersion()) }
