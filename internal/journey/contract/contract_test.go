package contract

import "testing"

func TestParseTimeOfDay(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    int
		wantErr string
	}{
		{"00:00", 0, ""},
		{"09:00", 540, ""},
		{"23:59", 1439, ""},
		{"24:00", 0, `time of day "24:00": want HH:MM from 00:00 to 23:59`},
		{"12:60", 0, `time of day "12:60": want HH:MM from 00:00 to 23:59`},
		{"9:00", 0, `time of day "9:00": want HH:MM, e.g. 09:00`},
		{"09-00", 0, `time of day "09-00": want HH:MM, e.g. 09:00`},
		{"+9:00", 0, `time of day "+9:00": want HH:MM, e.g. 09:00`},
		{"", 0, `time of day "": want HH:MM, e.g. 09:00`},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseTimeOfDay(c.in)
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr {
					t.Fatalf("ParseTimeOfDay(%q) = %d, %v; want error %q", c.in, got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseTimeOfDay(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
		})
	}
}
