// Package mqtt is the MQTT transport of CityVitals: it translates MQTT
// messages into calls on the ingest service and decides nothing itself.
// It owns two pieces.
//
// Broker is an embedded MQTT 3.1.1/5 broker (mochi-mqtt) that devices
// connect to with their device token: CONNECT username is the device id,
// password the token secret; anonymous clients and bad credentials are
// refused, and a client id may only resume a session of the same device.
// Each device is confined to its own topics:
//
//	cityvitals/v1/devices/{device}/observations       publish: a JSON array or NDJSON batch,
//	                                                   the same items as the HTTP batch API
//	cityvitals/v1/devices/{device}/datastreams/{key}  publish: a bare number (time = receipt
//	                                                   time) or one item object without
//	                                                   "datastream"; the key is the topic level
//	cityvitals/v1/devices/{device}/rejections         subscribe: QoS 1 RejectionReport for every
//	                                                   message with rejected items or refused whole
//
// Nothing a device publishes is retained or forwarded to other clients.
//
// Durability: for QoS 1 (and 2) the PUBACK (PUBREC) is written only after
// Ingest returned nil, that is after the accepted items are durable; mochi
// calls the publish hook on the client's read goroutine before it acks, so
// a slow store also slows exactly the client that sends. A message bad as a
// whole (EINVALID, ETOOLARGE) is acknowledged and reported on the
// rejections topic, since sending it again cannot help. When Ingest fails
// (EOVERLOADED, an internal error, the timeout, shutdown) the message is
// not acknowledged and the client is disconnected; MQTT clients resend
// unacknowledged messages only on reconnect, so a device with a persistent
// session (clean session false) and automatic reconnect delivers it again
// after its reconnect backoff. QoS 0 is best effort: such a message is
// dropped when Ingest fails. Delivery is at least once.
//
// Bridge subscribes to an external broker (paho) with a persistent session
// and manual acknowledgements: a message is acked only after Ingest made
// it durable, so the external broker keeps whatever the bridge has not
// ingested, also while the bridge is down. On an ingest failure the bridge
// stops handling messages, reconnects with exponential backoff and gets
// the unacknowledged messages again. Each topic filter names the device
// (and its provisioning right) its messages are attributed to and whether
// payloads are batches or per-stream readings, with the datastream key
// built from topic levels.
package mqtt
