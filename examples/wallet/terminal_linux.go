//go:build linux

package main

import "syscall"

// ioctlReadTermios is the request that reads a terminal's settings.
const ioctlReadTermios = syscall.TCGETS
