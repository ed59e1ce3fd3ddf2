//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package main

import "syscall"

// ioctlReadTermios is the request that reads a terminal's settings.
const ioctlReadTermios = syscall.TIOCGETA
