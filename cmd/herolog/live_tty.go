package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// openTTYKeys opens the controlling terminal for keys, in raw mode (no
// echo, no line buffering, Ctrl-C arrives as a byte). Standard input is
// the log pipe, so keys come from /dev/tty.
func openTTYKeys() (io.ReadCloser, func(), error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, nil, err
	}
	old, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, func() { _ = term.Restore(int(f.Fd()), old) }, nil
}

// terminalSize returns w's size in cells, 80×24 when unknown.
func terminalSize(w io.Writer) (int, int) {
	if f, ok := w.(*os.File); ok {
		if cols, rows, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 && rows > 0 {
			return cols, rows
		}
	}
	return 80, 24
}
