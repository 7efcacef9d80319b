package kvimpl

// Sealer is secretSealer, for the tests of its bindings in package kvimpl_test.
type Sealer = secretSealer
