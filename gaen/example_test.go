package gaen_test

import (
	"context"
	"fmt"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
)

// The first RPI and AEM of the official test vectors.
func ExampleAdvertise() {
	tek, _ := gaen.ParseTEK("75c734c6dd1a782de7a965da5eb93125")
	day := gaen.RollingStart(time.Date(2020, 4, 2, 8, 0, 0, 0, time.UTC))
	md := gaen.Metadata{MajorVersion: 1, TXPower: 8} // version byte 0x40, +8 dBm
	adv := gaen.Advertise(tek, day, md)
	fmt.Println(day, adv.RPI, adv.AEM)
	// Output: 2642976 8be6cd371c5c891604bfbe49df845096 72033874
}

func ExampleNewRPIGenerator() {
	tek, _ := gaen.ParseTEK("75c734c6dd1a782de7a965da5eb93125")
	gen := gaen.NewRPIGenerator(gaen.DeriveRPIK(tek))
	for _, rpi := range gen.RPIs(2642976+142, make([]gaen.RPI, 2)) {
		fmt.Println(rpi)
	}
	// Output:
	// a65ef7ba9752c4173ba48a33849c5e52
	// f431b62ecf443102ce4ed0407de54bd4
}

func ExampleParsePayload() {
	rpi, _ := gaen.ParseRPI("8be6cd371c5c891604bfbe49df845096")
	payload := gaen.Advertisement{RPI: rpi, AEM: gaen.AEM{0x72, 0x03, 0x38, 0x74}}.Payload()
	fmt.Printf("%d bytes: % x\n", len(payload), payload[:11])

	adv, err := gaen.ParsePayload(payload)
	fmt.Println(adv.RPI, adv.AEM, err)

	_, err = gaen.ParsePayload(payload[:20])
	fmt.Println(err)
	// Output:
	// 31 bytes: 02 01 1a 03 03 6f fd 17 16 6f fd
	// 8be6cd371c5c891604bfbe49df845096 72033874 <nil>
	// gaen: malformed advertisement payload: AD structure at offset 7 has length 23 but only 12 bytes follow
}

func ExampleDecryptAEM() {
	tek, _ := gaen.ParseTEK("75c734c6dd1a782de7a965da5eb93125")
	rpi, _ := gaen.ParseRPI("8be6cd371c5c891604bfbe49df845096")
	md, err := gaen.ParseMetadata(gaen.DecryptAEM(gaen.DeriveAEMK(tek), rpi, gaen.AEM{0x72, 0x03, 0x38, 0x74}))
	fmt.Printf("v%d.%d, %+d dBm, %v\n", md.MajorVersion, md.MinorVersion, md.TXPower, err)
	// Output: v1.0, +8 dBm, <nil>
}

// A device heard two RPIs; one diagnosis key explains the first, heard 20 minutes after its interval.
func ExampleMatcher() {
	tek, _ := gaen.ParseTEK("75c734c6dd1a782de7a965da5eb93125")
	const day = 2642976
	adv := gaen.Advertise(tek, day+30, gaen.NewMetadata(-12, gaen.CalibrationMedium))
	heard := []gaen.Sighting{
		{RPI: adv.RPI, AEM: adv.AEM, Interval: day + 32, RSSI: -71},
		{RPI: gaen.RPI{1, 2, 3}, Interval: day + 40, RSSI: -90},
	}
	m := gaen.NewMatcher(heard)
	keys := []gaen.DiagnosisKey{
		{TEK: gaen.TEK{9}, RollingStart: day, RollingPeriod: 144},
		{TEK: tek, RollingStart: day, RollingPeriod: 144, ReportType: 1},
	}
	res, err := m.MatchAll(context.Background(), keys, 2)
	if err != nil {
		panic(err)
	}
	for _, km := range res {
		for _, mt := range km.Matches {
			fmt.Printf("key %d: sighting %d, RPI of interval %d heard in %d, TX %d dBm, RSSI %d\n",
				km.KeyIndex, mt.SightingIndex, mt.Interval, mt.Sighting.Interval, mt.Metadata.TXPower, mt.Sighting.RSSI)
		}
	}
	// Output: key 1: sighting 0, RPI of interval 2643006 heard in 2643008, TX -12 dBm, RSSI -71
}
