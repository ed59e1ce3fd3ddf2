//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package main

import "os"

// isTerminal reports false: here the wallet does not tell a terminal
// from a file, and reads a passphrase file to its end.
func isTerminal(*os.File) bool { return false }
