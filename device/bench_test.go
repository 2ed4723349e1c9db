package device

import (
	"context"
	"crypto/rand"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

// BenchmarkSyncDay measures the target: one day's export holding
// 100,000 keys, synced and matched on a device holding 14 days of
// sightings, 10,000 a day. 20 of the keys belong to phones the device heard
// (so windows are built and scored too). It reports the wall time per sync
// (download over loopback HTTP, signature check, parse, match, scoring) and
// the peak heap during it, sampled every millisecond, and the CPU time
// (user+system, all goroutines) per sync, which is steadier than wall time
// on a shared machine.
//
//	go test -run '^$' -bench SyncDay -benchtime 5x ./device
func BenchmarkSyncDay(b *testing.B) {
	const days, perDay, nKeys, heardKeys = 14, 10000, 100000, 20
	now := time.Date(2020, 8, 1, 23, 59, 0, 0, time.UTC) // sightings fill today and the 13 days before
	clk := clock.NewFake(now.AddDate(0, 0, -days))
	es := newExportServer(b)
	s := newSigner(b, "452", "v1")
	d := testDevice(b, clk, es.URL)
	d.TrustKey("452", "v1", s.pem)

	// 14 days of sightings: mostly strangers' random RPIs, plus the RPIs of
	// heardKeys phones met yesterday.
	var met []gaen.TEK
	for i := 0; i < heardKeys; i++ {
		var k gaen.TEK
		rand.Read(k[:])
		met = append(met, k)
	}
	md := gaen.NewMetadata(-15, 2)
	yesterday := now.AddDate(0, 0, -1)
	for day := 0; day < days; day++ {
		base := time.Date(2020, 8, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(days - 1 - day))
		for i := 0; i < perDay; i++ {
			at := base.Add(time.Duration(i) * 24 * time.Hour / perDay)
			clk.Set(at)
			var adv gaen.Advertisement
			if base.Day() == yesterday.Day() && i%(perDay/(heardKeys*4)) == 0 {
				adv = gaen.Advertise(met[(i/(perDay/(heardKeys*4)))%heardKeys], gaen.IntervalNumber(at), md)
			} else {
				rand.Read(adv.RPI[:])
				rand.Read(adv.AEM[:])
			}
			d.Heard(adv.Payload(), -60, -55)
			if i%10 == 9 {
				d.ScanDone(10)
			}
		}
	}
	d.Flush()
	clk.Set(now)

	keys := randomKeys(b, nKeys-heardKeys, int32(gaen.RollingStart(yesterday)))
	for _, k := range met {
		keys = append(keys, exportfile.Key{Data: k, RollingStart: int32(gaen.RollingStart(yesterday)), RollingPeriod: 144, ReportType: exportfile.ReportTypeConfirmedTest})
	}
	name, zip := buildExport(b, keys, nil, s)
	es.add(name, zip)
	b.Logf("export file: %d keys, %d bytes; sightings: %d", nKeys, len(zip), days*perDay)

	var peak atomic.Uint64
	var cpu time.Duration
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d.mu.Lock()
		d.st.LastExport, d.st.Exposures, d.st.Notified = "", nil, nil
		d.mu.Unlock()
		runtime.GC()
		metrics.Read(sample)
		base := sample[0].Value.Uint64()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > base && v-base > peak.Load() {
					peak.Store(v - base)
				}
			}
		}()
		var r0, r1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		b.StartTimer()
		res, err := d.Sync(context.Background())
		b.StopTimer()
		syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		cpu += time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		close(stop)
		wg.Wait()
		if err != nil || res.Keys != nKeys || res.MatchedKeys != heardKeys || res.Sightings != days*perDay {
			b.Fatalf("sync: %+v %v", res, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "process-maxRSS-MB")
}
