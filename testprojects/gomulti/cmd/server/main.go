// server is one of gomulti's two programs.
package main

import "fmt"

func main() { fmt.Println("gomulti server") }
