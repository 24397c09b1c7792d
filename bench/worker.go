package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/fusedrelu/kernels"
	"github.com/fusedrelu/kernels/internal/entry"
)

// The kernels choose their code path once, at init, from FUSEDRELU_ISA,
// so each path is measured in a worker: this program run again with
// FUSEDRELU_ISA set to the path and the hidden flag -worker. The parent
// sends it one JSON request a line on its standard input, in the order of
// the parent's loop (so every implementation is measured in the same
// sitting, shape by shape), and it answers one JSON reply a line.

// hello is a worker's first line: the path it runs and the table entry
// in use (the core class FUSEDRELU_CORE chose, its tiles and limits).
type hello struct {
	ISA   string      `json:"isa"`
	Entry entry.Entry `json:"entry"`
}

// workerMain serves requests on stdin and stdout until stdin closes.
func workerMain(path string, in io.Reader, out io.Writer) error {
	enc := json.NewEncoder(out)
	info := kernels.Path()
	if err := enc.Encode(hello{ISA: info.ISA, Entry: entry.Describe()}); err != nil {
		return err
	}
	if info.ISA != path {
		return fmt.Errorf("worker for path %s runs %s: is FUSEDRELU_ISA=%s supported here?", path, info.ISA, path)
	}
	dec := json.NewDecoder(bufio.NewReader(in))
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := enc.Encode(measureKernels(req)); err != nil {
			return err
		}
	}
}

// worker is the parent's end of a worker process.
type worker struct {
	path  string
	entry entry.Entry // the table entry it runs
	cmd   *exec.Cmd
	in    io.WriteCloser
	enc   *json.Encoder
	dec   *json.Decoder
}

// startWorker starts this program as the worker of path, with GOMAXPROCS
// set to threads and env (such as FUSEDRELU_CORE=zen5) added to its
// environment, overriding this process's.
func startWorker(path string, threads int, env ...string) (*worker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find this program to run it per code path: %v", err)
	}
	cmd := exec.Command(exe, "-worker", path)
	cmd.Env = append(append(os.Environ(), "FUSEDRELU_ISA="+path, "GOMAXPROCS="+strconv.Itoa(threads)), env...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the worker for path %s: %v", path, err)
	}
	w := &worker{path: path, cmd: cmd, in: in, enc: json.NewEncoder(in), dec: json.NewDecoder(bufio.NewReader(out))}
	var h hello
	if err := w.dec.Decode(&h); err != nil {
		w.close()
		return nil, fmt.Errorf("the worker for path %s did not start: %v", path, err)
	}
	if h.ISA != path {
		w.close()
		return nil, fmt.Errorf("the worker for path %s runs path %s (FUSEDRELU_ISA not honoured?)", path, h.ISA)
	}
	w.entry = h.Entry
	return w, nil
}

func (w *worker) measure(req request) reply {
	if err := w.enc.Encode(req); err != nil {
		return reply{Err: fmt.Sprintf("worker %s: %v", w.path, err)}
	}
	var rep reply
	if err := w.dec.Decode(&rep); err != nil {
		return reply{Err: fmt.Sprintf("worker %s died: %v", w.path, err)}
	}
	return rep
}

func (w *worker) close() {
	w.in.Close()
	w.cmd.Wait()
}
