package vnadmin

import (
	"encoding/json"
	"testing"
)

func TestLoad(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Provinces) != 63 || len(d.Districts) != 707 {
		t.Fatalf("%d provinces, %d districts; want 63, 707", len(d.Provinces), len(d.Districts))
	}
	var provSum, distSum int64
	for _, p := range d.Provinces {
		provSum += p.Population
		var s int64
		for _, x := range d.DistrictsOf(p.Code) {
			s += x.Population
		}
		if s != p.Population {
			t.Errorf("province %s: districts sum %d, province %d", p.Code, s, p.Population)
		}
	}
	for _, x := range d.Districts {
		distSum += x.Population
	}
	if provSum != 96208984 || distSum != 96208984 {
		t.Fatalf("population sums %d, %d; want 96,208,984", provSum, distSum)
	}
	dn, ok := d.Province("67")
	if !ok || dn.Name != "Đắk Nông" || dn.Population != 622168 || len(d.DistrictsOf("67")) != 8 {
		t.Fatalf("Đắk Nông = %+v, %d districts", dn, len(d.DistrictsOf("67")))
	}
}

func TestValidPair(t *testing.T) {
	d := MustLoad()
	if err := d.ValidPair("67", "660"); err != nil {
		t.Fatal(err)
	}
	if err := d.ValidPair("67", ""); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{"00", ""}, {"67", "999"}, {"01", "660"}, {"", ""}} {
		if err := d.ValidPair(bad[0], bad[1]); err == nil {
			t.Errorf("ValidPair(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"Đắk R'Lấp": "dakrlap", "Hòa Bình": "hoabinh", "Hoà Bình": "hoabinh", "Quận 1": "quan1"} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGeoJSON(t *testing.T) {
	var fc struct {
		Features []struct {
			Properties struct{ Code, Name string } `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(ProvincesGeoJSON(), &fc); err != nil {
		t.Fatal(err)
	}
	d := MustLoad()
	if len(fc.Features) != 63 {
		t.Fatalf("%d features", len(fc.Features))
	}
	for _, f := range fc.Features {
		if p, ok := d.Province(f.Properties.Code); !ok || p.Name != f.Properties.Name {
			t.Errorf("feature %+v does not match provinces.csv", f.Properties)
		}
	}
}
