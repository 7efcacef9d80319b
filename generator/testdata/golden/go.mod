// The golden cases as one module: each case directory is the root of a
// project whose module path is example.com/golden/<case>, so its generated
// packages import each other as they would there. go.work adds this
// repository, whose requirements supply kv's and pgx's versions: TestGolden
// runs `go build ./...` and `go vet ./...` here.
module example.com/golden

go 1.26.0
