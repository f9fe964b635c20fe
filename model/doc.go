// Package model holds the nouns every other package shares: spatial units,
// assets, datastreams, observations, users and the domain error type.
//
// It knows nothing about storage or transport. Packages at the edges
// (store/sqlite, store/pebble, api, mqtt) translate to and from these types.
package model
