package anomaly

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"cityvitals/model"
)

// snapshotVersion is the first byte of a snapshot; bump it when state
// changes shape so an old snapshot is refused rather than misread.
const snapshotVersion = 5

// StateSize returns the size in bytes of one Detector's state, which is
// also the length of its snapshot less the version byte. The Detector
// itself adds its Config (about 60 bytes).
func StateSize() int { return binary.Size(state{}) }

// MarshalBinary snapshots the learnt state (not the Config), so a restarted
// engine can continue a stream without another warm-up.
func (d *Detector) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(1 + StateSize())
	buf.WriteByte(snapshotVersion)
	if err := binary.Write(&buf, binary.LittleEndian, &d.state); err != nil {
		return nil, fmt.Errorf("snapshot anomaly detector: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary restores a snapshot from MarshalBinary into d, which
// keeps its own Config. A snapshot of another version or length is
// EINVALID and leaves d unchanged.
func (d *Detector) UnmarshalBinary(data []byte) error {
	if len(data) != 1+StateSize() || data[0] != snapshotVersion {
		return model.Errorf(model.EINVALID, "anomaly snapshot: want version %d and %d bytes, got %d bytes", snapshotVersion, 1+StateSize(), len(data))
	}
	var st state
	if err := binary.Read(bytes.NewReader(data[1:]), binary.LittleEndian, &st); err != nil {
		return fmt.Errorf("restore anomaly detector: %w", err)
	}
	d.state = st
	return nil
}
