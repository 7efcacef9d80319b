// Package goonly holds the store of encryption: fields mode that kvgen's
// tests and benchmarks use: fieldsclients, generated from fieldsclients.yaml,
// a Go-only copy of the shipped OAuth client schema (which is value mode, so
// that FastMCP can read it). The line below regenerates it; its drift is
// checked by TestGoOnlyUpToDate.
package goonly

//go:generate go run ../../cmd/kvgen generate -out internal/goonly -queries internal/goonly/queries -sqlc internal/goonly/sqlc.yaml fieldsclients.yaml
