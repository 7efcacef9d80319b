package schema

// For the external tests (fuzz_test.go), which render what the loader accepts.
var (
	CheckSchema = checkSchema
	CmpPos      = cmpPos
)
