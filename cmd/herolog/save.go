package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/input"
)

// saveFlags are analyze's flags that write mergeable results beside the
// report.
type saveFlags struct {
	Save         string        `placeholder:"FILE" predictor:"file" help:"Also write the run's mergeable summary (.hlsum) to FILE, for 'herolog merge'. It keeps every grouping." group:"Save"`
	Hlog         string        `placeholder:"FILE" predictor:"file" help:"Also write an HdrHistogram interval log to FILE: service time per dyno (tag) per interval, in ns, V2 compressed." group:"Save"`
	HlogInterval time.Duration `default:"1m" help:"Interval of --hlog histograms, on the log's own clock." group:"Save"`
}

// saveHlog writes agg's interval histograms to path.
func saveHlog(path string, agg *aggregate.Aggregator) error {
	if err := writeFileAtomic(path, agg.WriteHlog); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("writing the interval log %s: %v", path, err)}
	}
	return nil
}

// fingerprintBytes is how much of an input's start (decompressed) its
// fingerprint hashes.
const fingerprintBytes = 64 << 10

// headTee passes reads through and keeps the first fingerprintBytes read,
// so standard input, which cannot be read twice, still gets a fingerprint.
type headTee struct {
	r    io.Reader
	head []byte
}

func (t *headTee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if room := fingerprintBytes - len(t.head); room > 0 {
		t.head = append(t.head, p[:min(n, room)]...)
	}
	return n, err
}

// fingerprints returns the inputs of a run with their fingerprints: the
// SHA-256 of the first 64 KiB of the decompressed content, which with the
// decompressed length (Input.Bytes, counted by the scan) identifies a log
// whether it was read plain or compressed, here or on another machine.
// Files are opened again to read their first 64 KiB, which costs one small
// read per file and nothing in the scan; standard input uses what tee
// kept. An input that failed gets no fingerprint.
func fingerprints(inputs []aggregate.Input, stdin *headTee) []aggregate.SavedInput {
	out := make([]aggregate.SavedInput, len(inputs))
	for i, in := range inputs {
		out[i].Input = in
		if in.Error != "" {
			continue
		}
		var head []byte
		if in.Name == displayName(input.Stdin) {
			if stdin == nil {
				continue
			}
			head = stdin.head
		} else {
			src, err := input.Open(in.Name, nil)
			if err != nil {
				continue
			}
			head, err = io.ReadAll(io.LimitReader(src, fingerprintBytes))
			src.Close()
			if err != nil {
				continue
			}
		}
		sum := sha256.Sum256(head)
		out[i].Head = hex.EncodeToString(sum[:])
	}
	return out
}

// writeFileAtomic writes a file through a temporary file in the same
// directory, renamed over path only when write succeeded, so a failed or
// interrupted run never leaves a half-written file under the name.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// saveSummary writes agg's summary to path.
func saveSummary(path string, agg *aggregate.Aggregator, inputs []aggregate.SavedInput) error {
	err := writeFileAtomic(path, func(w io.Writer) error {
		return aggregate.WriteSummary(w, &aggregate.Saved{Herolog: versionString(), Inputs: inputs, Agg: agg})
	})
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("writing the summary %s: %v", path, err)}
	}
	return nil
}
