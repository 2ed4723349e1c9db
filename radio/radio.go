// Package radio is how a device agent talks to Bluetooth Low Energy: it
// advertises the device's Exposure Notification payload and hears the
// payloads of others, and it provides Air, a simulated ether in which virtual
// phones at positions in rooms and places hear each other over simulated time.
//
// The interface (Radio, Advertiser, Receiver) is shaped after what phone BLE
// stacks offer, so that a real Linux or phone radio can implement it later:
// the radio asks the device for its current payload whenever it (re)starts
// advertising or rotates its random address, and it reports what one scan
// heard from each advertiser, aggregated over the packets of that scan (mean
// and strongest RSSI), as Android's Exposure Notification scanner does.
// All types at the boundary are simple (byte slices, ints), so the interface
// binds with gomobile.
//
// The package knows nothing about keys, identifiers or matching (package
// gaen and package device do that) and never looks inside a payload.
package radio

// Radio is one device's Bluetooth radio. Implementations must be safe for
// concurrent use.
type Radio interface {
	// Advertise starts (or keeps) broadcasting. The radio calls
	// src.AdvertisementPayload whenever it needs the payload: when it
	// starts, when it rotates its random address, and may call it more
	// often; the device answers with the payload of the current interval.
	Advertise(src Advertiser) error
	// StopAdvertising stops broadcasting; it is a no-op when not advertising.
	StopAdvertising()
	// StartScanning makes the radio scan with its duty cycle and report
	// each scan's results to r.
	StartScanning(r Receiver) error
	// StopScanning stops scanning; it is a no-op when not scanning.
	StopScanning()
}

// Advertiser supplies the payload a radio broadcasts.
type Advertiser interface {
	// AdvertisementPayload returns the advertising data to broadcast now
	// (for Exposure Notification, the 31-byte payload of gaen). Returning
	// nil means "nothing to broadcast now".
	AdvertisementPayload() []byte
}

// Receiver is told what each scan heard.
type Receiver interface {
	// Heard reports one advertiser heard during a scan: its payload, the
	// typical RSSI (the mean, in dBm, of the packets received in the scan)
	// and the strongest packet's RSSI. It is called at most once per
	// advertiser per scan, from the radio's goroutine; the receiver must
	// not keep payload after returning.
	Heard(payload []byte, rssi, maxRSSI int)
	// ScanDone is called after the Heard calls of one scan, with how many
	// advertisers were heard (0 when the scan heard nothing).
	ScanDone(heard int)
}
