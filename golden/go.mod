// The golden cases hold the generated output of other modules
// (example.com/golden/<case>). This file makes golden/ a module of its own,
// which keeps that output out of the repository's ./... ; TestGolden builds
// it in a temporary module with the right dependencies.
module example.com/golden

go 1.26.0
