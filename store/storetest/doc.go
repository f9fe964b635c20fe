// Package storetest holds the contract test suites for the storage
// interfaces of package store. Every implementation (the embedded
// store/pebble and store/sqlite, and any scale-out backend) runs the same
// suites from its own tests, so that they behave alike:
//
//	func TestContract(t *testing.T) { storetest.History(t, openForTest) }
//
// The suites use real stores only; they never mock the backend.
package storetest
