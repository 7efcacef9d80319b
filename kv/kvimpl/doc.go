// Package kvimpl is the runtime of the code kvgen generates: for generated
// code only. Its API follows the generator and may change in any release;
// users never import it.
package kvimpl
