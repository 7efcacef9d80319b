// Package bench holds kvgen's benchmarks against a real PostgreSQL: the
// generated store side by side with a hand-written pgx + encoding/json
// baseline and with the raw ceiling (the same SQL, values left as bytes),
// for each encryption mode. It has no API; see README.md for how to run it.
//
// The store of encryption: fields is this repository's own
// generated/fieldsclients. The stores of encryption: none and value are
// generated into bench/internal from copies of its schema kept in
// bench/testdata; the line below regenerates them.
package bench

//go:generate go run ../cmd/kvgen generate -out bench/internal -queries bench/internal/queries -sqlc bench/internal/sqlc.yaml testdata/nonestore.yaml testdata/valuestore.yaml
