module example.com/gocerts

go 1.26
