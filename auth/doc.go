// Package auth owns who a caller is and what they may do: argon2id password
// hashes in PHC string format, bearer-token secrets and their stored
// SHA-256 hashes, the role → permission table, spatial scope checks, and
// the Authenticator that turns a bearer secret or a user name and password
// into a Principal.
//
// Secrets never leave this package in logs or errors: messages name the
// user or token id at most, and failed authentication is always reported
// with the same generic EUNAUTHORIZED message, so a caller cannot tell an
// unknown token from an expired one or a disabled user.
package auth
