// Package app wires CityVitals together: it opens the stores in one data
// directory, builds the domain services on them, and runs the transports
// (HTTP API, embedded MQTT broker, MQTT bridge) and the ingest commit loop
// as one group that starts together and stops together.
//
// It is the only package that knows every other one; nothing imports it
// but cmd/cityvitals and end-to-end tests.
package app
