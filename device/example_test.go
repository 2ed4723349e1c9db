package device_test

import (
	"fmt"

	"github.com/bluezone-vn/bluezone/device"
)

// A health authority ships a stricter rule as JSON: only time at ≤ 51 dB
// (about 2 m) counts, and 30 minutes a day make an F1.
func ExampleParseRiskConfig() {
	c, err := device.ParseRiskConfig([]byte(`{"attenuationThresholdsDb": [45, 51, 60], "f1MinimumDailyScore": 1800}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.AttenuationThresholdsDb, c.AttenuationWeights, c.F1MinimumDailyScore, c.F2MinimumDailyScore)

	_, err = device.ParseRiskConfig([]byte(`{"attenuationThresholdsDb": [60, 51, 45]}`))
	fmt.Println(err)
	// Output:
	// [45 51 60] [1 1 0 0] 1800 900
	// risk config: attenuationThresholdsDb [60 51 45]: need 0 ≤ t0 ≤ t1 ≤ t2 ≤ 255
}
