package nn

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ProgressStyle chooses how [Trainer.Fit] writes its progress to
// FitConfig.Progress.
type ProgressStyle uint8

const (
	// ProgressAuto, the default, is ProgressLive when the writer is a
	// terminal (an *os.File that is a character device) and ProgressLines
	// otherwise (a file, a pipe, a buffer).
	ProgressAuto ProgressStyle = iota
	// ProgressLive redraws a line in place (with a carriage return) while
	// an epoch runs, at most 4 times a second, and ends each epoch with
	// its summary line.
	ProgressLive
	// ProgressLines writes the summary line of each epoch only.
	ProgressLines
)

// progressEvery is the least time between two redraws of the live line.
var progressEvery = 250 * time.Millisecond

// isTerminal reports whether w is a terminal, without a dependency: an
// *os.File whose mode is a character device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress writes Fit's progress; a nil *progress writes nothing.
type progress struct {
	w    io.Writer
	live bool

	epoch, epochs, batches, n int
	start, last               time.Time
	width                     int // of the live line on screen, 0 if none
	buf                       []byte
}

func newProgress(w io.Writer, style ProgressStyle) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, live: style == ProgressLive || style == ProgressAuto && isTerminal(w)}
}

func (p *progress) startEpoch(epoch, epochs, batches, n int, now time.Time) {
	if p == nil {
		return
	}
	p.epoch, p.epochs, p.batches, p.n = epoch, epochs, batches, n
	p.start, p.last = now, now
}

// batch reports that k batches of the epoch are done, seen examples, and
// the sum of their losses. It costs a clock reading, and a line at most
// every progressEvery.
func (p *progress) batch(k, seen int, total float64) {
	if p == nil || !p.live {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	el := now.Sub(p.start)
	eta := time.Duration(float64(el) * float64(p.n-seen) / float64(seen))
	p.buf = fmt.Appendf(p.buf[:0], "\repoch %*d/%d  batch %*d/%d  loss %.6f  %.0f examples/s  elapsed %v  ETA %v",
		len(fmt.Sprint(p.epochs)), p.epoch, p.epochs, len(fmt.Sprint(p.batches)), k, p.batches,
		total/float64(seen), float64(seen)/max(el.Seconds(), 1e-9), roundDuration(el), roundDuration(eta))
	p.draw()
}

// draw writes the line in buf (which starts with \r) over the one on
// screen, padding with spaces to erase a longer one.
func (p *progress) draw() {
	w := len([]rune(string(p.buf))) - 1
	if pad := p.width - w; pad > 0 {
		p.buf = append(p.buf, strings.Repeat(" ", pad)...)
	}
	p.width = w
	p.w.Write(p.buf)
}

// endEpoch writes the epoch's summary line, over the live line if any.
func (p *progress) endEpoch(s EpochStats) {
	if p == nil {
		return
	}
	if p.live && p.width > 0 {
		p.buf = append(append(p.buf[:0], '\r'), s.String()...)
		p.draw()
		p.width = 0
		p.w.Write([]byte{'\n'})
		return
	}
	fmt.Fprintln(p.w, s)
}

// note writes a line of its own (ending the live line).
func (p *progress) note(msg string) {
	if p == nil {
		return
	}
	p.abort()
	fmt.Fprintln(p.w, msg)
}

// abort ends the live line, so that what follows starts on a line of
// its own.
func (p *progress) abort() {
	if p != nil && p.live && p.width > 0 {
		p.width = 0
		p.w.Write([]byte{'\n'})
	}
}

// roundDuration rounds d for a person: to 0.1 s (1 ms below a second).
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
