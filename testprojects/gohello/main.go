// gohello is a langbuild test project: a module dependency, a kodata asset,
// and output the end-to-end tests check.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
)

var message = "hello from gohello"

func main() {
	fmt.Println(message)
	// A name-based UUID is deterministic, so the test can check it.
	fmt.Println("uuid:", uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://langbuild.invalid/")))
	data := os.Getenv("KO_DATA_PATH")
	greeting, err := os.ReadFile(filepath.Join(data, "greeting.txt"))
	if err != nil {
		fmt.Println("asset: error:", err)
		os.Exit(1)
	}
	fmt.Println("asset:", strings.TrimSpace(string(greeting)))
	fmt.Printf("uid: %d gid: %d\n", os.Getuid(), os.Getgid())
}
