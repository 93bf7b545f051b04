// worker is one of gomulti's two programs.
package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("gomulti worker uid=%d\n", os.Getuid()) }
