// Package greet is a library package shared by gomulti's programs.
package greet

// Hello greets name.
func Hello(name string) string { return "hello " + name }
